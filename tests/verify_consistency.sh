#!/bin/sh
# verify_consistency.sh: one layout, one verify answer (issue 13).
#  - a directory and its archive give the same findings, exit status and summary (bytesHashed
#    too when the whole layout was verified): every fixture of testdata/verify that has both
#    forms, for no platform and for two, and every directory sample of testdata/samples
#    archived here with tar;
#  - one byte flipped in an unreferenced blob is reported in both forms (a directory hashes
#    its unreferenced blobs as an archive does while it streams by);
#  - a config that fails its digest gives no platform, in text and in JSON ("linux/Amd64
#    (config)" was read from the corrupt bytes), in both forms.
. "$TESTS_DIR/lib.sh"
V="$TESTDATA/verify"
S="$TESTDATA/samples"

if ! command -v python3 >/dev/null 2>&1; then
  skip "verify: directory and archive forms" "python3 is needed to compare the JSON reports"
  finish
fi

# same_report DIR ARCHIVE DESCRIPTION [OPTIONS...]
same_report() {
  d=$1 a=$2 what=$3
  shift 3
  run verify --json "$@" "$d"
  rc_d=$rc
  printf '%s' "$out" >"$T_TMP/d.json"
  run verify --json "$@" "$a"
  rc_a=$rc
  printf '%s' "$out" >"$T_TMP/a.json"
  if [ "$rc_d" != "$rc_a" ]; then
    not_ok "$what: exit $rc_d (directory), $rc_a (archive)"
    return
  fi
  if python3 - "$T_TMP/d.json" "$T_TMP/a.json" >"$T_TMP/diff" <<'EOF'
import json, sys
d, a = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
if d["findings"] != a["findings"]:
    for f in d["findings"]:
        if f not in a["findings"]:
            bad.append("directory only: %s" % json.dumps(f))
    for f in a["findings"]:
        if f not in d["findings"]:
            bad.append("archive only: %s" % json.dumps(f))
    if not bad:
        bad.append("the same findings in another order")
sd, sa = dict(d["summary"]), dict(a["summary"])
if sd["unreferencedBlobs"] is None:  # stopped early: an archive hashed what streamed by
    sd.pop("bytesHashed")
    sa.pop("bytesHashed")
if sd != sa:
    bad.append("summary: %s / %s" % (json.dumps(sd), json.dumps(sa)))
if [i["platforms"] for i in d["images"]] != [i["platforms"] for i in a["images"]]:
    bad.append("platforms differ")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
  then
    ok "$what"
  else
    not_ok "$what: $(head -c 600 "$T_TMP/diff" | tr '\n' ';')"
  fi
}

# ------------------------------------------------ the fixtures of testdata/verify
n=0
for d in "$V"/*; do
  [ -d "$d" ] && [ -f "$d.tar.gz" ] || continue
  name=$(basename "$d")
  same_report "$d" "$d.tar.gz" "$name: directory and tar.gz"
  same_report "$d" "$d.tar.gz" "$name --platform linux/amd64: directory and tar.gz" --platform linux/amd64
  same_report "$d" "$d.tar.gz" "$name --platform linux/arm64: directory and tar.gz" --platform linux/arm64
  n=$((n + 1))
done
if [ "$n" -ge 30 ]; then ok "$n fixtures in both forms"; else not_ok "only $n fixtures in both forms"; fi

# ------------------------------------------- the directory samples, archived here
for d in "$S"/*; do
  [ -d "$d" ] || continue
  name=$(basename "$d")
  tar -C "$d" -cf "$T_TMP/$name.tar" .
  same_report "$d" "$T_TMP/$name.tar" "sample $name: directory and tar"
  same_report "$d" "$T_TMP/$name.tar" "sample $name --platform linux/arm64: directory and tar" --platform linux/arm64
done

# --------------------------------------- a flipped byte in an unreferenced blob
cp -R "$V/blob-unreferenced" "$T_TMP/flip"
chmod -R u+w "$T_TMP/flip"
run verify --json "$T_TMP/flip"
blob=$(printf '%s' "$out" | python3 -c 'import json,sys; print([f["path"] for f in json.load(sys.stdin)["findings"] if f["code"] == "blob-unreferenced"][0])')
expect_eq "$(printf '%.13s' "$blob")" "blobs/sha256/" "flip: the fixture has an unreferenced blob"
# the first byte, changed to another one (its name no longer is its digest)
python3 - "$T_TMP/flip/$blob" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[0] ^= 0x20
open(p, "wb").write(bytes(b))
EOF
tar -C "$T_TMP/flip" -czf "$T_TMP/flip.tar.gz" .
for p in "$T_TMP/flip" "$T_TMP/flip.tar.gz"; do
  run verify "$p"
  expect_rc 0 "flip: $(basename "$p"): an unreferenced blob is a warning"
  expect_out_has "and its bytes do not hash to its name" "flip: $(basename "$p"): the flipped byte is reported"
done
same_report "$T_TMP/flip" "$T_TMP/flip.tar.gz" "flip: directory and tar.gz give the same findings"

# ------------------------------------------------------- a corrupted config blob
# buildah-amd64-zstd: index.json names the manifest without a platform, so the platform shown
# is the config's.
cp -R "$S/buildah-amd64-zstd" "$T_TMP/cfg"
chmod -R u+w "$T_TMP/cfg"
run verify "$T_TMP/cfg"
expect_out_has "linux/amd64 (config)" "config: intact, the platform is read from the config"
cfg="$T_TMP/cfg/blobs/sha256/813ac7cb1470a2bab5bec08adc20ae7e0d6c99d72ad77a9cbf26fe914a5d8c09"
sed 's/"amd64"/"Amd64"/' "$cfg" >"$T_TMP/cfg.new" && mv "$T_TMP/cfg.new" "$cfg"
if grep -q '"Amd64"' "$cfg"; then ok "config: one byte changed"; else not_ok "config: the sample's config has no \"amd64\""; fi
tar -C "$T_TMP/cfg" -czf "$T_TMP/cfg.tar.gz" .
for p in "$T_TMP/cfg" "$T_TMP/cfg.tar.gz"; do
  b=$(basename "$p")
  run verify "$p"
  expect_rc 4 "config $b: corrupt: exit 4"
  expect_out_has "digest-mismatch" "config $b: digest-mismatch"
  case $out in
  *Amd64* | *amd64*) not_ok "config $b: the text shows a platform read from the corrupt config" ;;
  *) ok "config $b: the text shows no platform read from the corrupt config" ;;
  esac
  expect_out_has "(no platform)" "config $b: the row says it has no platform"
  run verify --json "$p"
  got=$(printf '%s' "$out" | python3 -c 'import json,sys; p=json.load(sys.stdin)["images"][0]["platforms"][0]; print(p["platform"], p["platformSource"], p["complete"])')
  expect_eq "$got" "None None False" "config $b: JSON: platform and platformSource null, not complete (as ls says)"
done
same_report "$T_TMP/cfg" "$T_TMP/cfg.tar.gz" "config: directory and tar.gz give the same findings"

finish
