#!/bin/sh
# regress_names.sh: regression tests for issue 12, defects 5 (invalid UTF-8 in and out),
# 6 (sums of sizes), 15 (one name per condition), 16 (exit statuses of cat and of a bad or
# unreadable oci-layout) and 17 (short digests).  Fixtures are built here with python3 from
# the samples in testdata/samples.  python3 starts three times in all (it costs ~0.1 s a
# start and this suite runs in every make check): once to build every fixture, once to read
# the source's code tables, and once at the end to check every JSON output kept on the way.
. "$TESTS_DIR/lib.sh"
S="$TESTDATA/samples"
V="$TESTDATA/verify"
SRC="$TESTS_DIR/.."

if ! command -v python3 >/dev/null 2>&1; then
  echo "# SKIP: python3 is needed to build the fixtures of this suite"
  exit 77
fi

# The real binary behind libtool's wrapper script: the script costs a shell at each of the
# ~500 runs of this suite.
ocidig_real
if [ -n "$OCIDIG_LIBS" ]; then
  OCIDIG=$OCIDIG_REAL
  LD_LIBRARY_PATH=$OCIDIG_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
fi

# JSON outputs are kept (keep) and their checks queued (check); check_all runs them in one
# python3 and counts its "ok" / "not ok" lines.
mkdir -p "$T_TMP/o"
Q=$T_TMP/queue
: >"$Q"
qn=0
keep() { # [FILE]: keeps FILE (stdout of the last run); sets $kept
  qn=$((qn + 1))
  kept=$T_TMP/o/$qn
  cp "${1:-$T_TMP/out}" "$kept"
}
check() { # KIND FILE ARG DESCRIPTION
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$Q"
}
check_all() {
  python3 - "$Q" >"$T_TMP/checked" <<'EOF'
import json, sys
def load(f, strict=False):
    b = open(f, "rb").read()
    return json.loads(b.decode("utf-8", "strict" if strict else "replace"))
def code(f):  # the "code" of the "error" object ("" when none)
    try:
        return (load(f).get("error") or {}).get("code", "")
    except Exception:
        return ""
def codes(f):  # every finding code of a verify --json report
    try:
        return [x["code"] for x in load(f)["findings"]]
    except Exception:
        return []
n = 0
for line in open(sys.argv[1]):
    kind, f, arg, desc = line.rstrip("\n").split("\t")
    n += 1
    if kind == "code":  # the error code is ARG
        c = code(f)
        print(f"ok - {desc}" if c == arg else f"not ok - {desc}: got '{c}', wanted '{arg}'")
    elif kind == "finding":  # a finding has the code ARG
        cs = codes(f)
        print(f"ok - {desc}" if arg in cs else f"not ok - {desc}: no finding {arg}: {' '.join(cs) or open(f, errors='replace').read()[:400]}")
    elif kind == "nofinding":  # no finding code has ARG in it
        cs = [c for c in codes(f) if arg in c]
        print(f"ok - {desc}" if not cs else f"not ok - {desc}: {' '.join(cs)}")
    elif kind == "strict":  # strict UTF-8, one JSON value
        try:
            load(f, strict=True)
            print(f"ok - {desc}")
        except Exception:
            print(f"not ok - {desc}: not strict UTF-8 JSON: {open(f, 'rb').read()[:400]!r}")
    elif kind == "same":  # where resolve (f) stops on an error, verify (arg) says the same
        c = code(f)
        if not c:
            print(f"# {desc}: resolve has no error")
            continue
        want = {c}
        # verify names which rule of a document's shape is broken where resolve says
        # invalid-json for all of them (doc/resolution.md §5.6): refinements, not other names.
        if c == "invalid-json":
            want |= {"field-type", "field-missing", "schema-version", "size-negative", "docker-manifest-invalid"}
        cs = codes(arg)
        if want & set(cs) or code(arg) == c:
            print(f"ok - {desc}: resolve and verify both say {c}")
        else:
            print(f"not ok - {desc}: resolve says {c}, verify says {' '.join(sorted(set(cs)))}")
    else:
        print(f"not ok - unknown check {kind}")
print(f"# checked {n}")
EOF
  cr=$?
  while IFS= read -r line; do
    case $line in
    "ok - "*) ok "${line#ok - }" ;;
    "not ok - "*) not_ok "${line#not ok - }" ;;
    *) echo "$line" ;;
    esac
  done <"$T_TMP/checked"
  [ "$cr" -eq 0 ] && grep -q "^# checked $(wc -l <"$Q" | tr -d ' ')\$" "$T_TMP/checked" ||
    not_ok "the JSON checks did not all run (python3 exit $cr)"
}

BASE="$S/skopeo-picked-armv7" # one manifest (arm/v7, no platform on its descriptor), config, layer
MAN=sha256:fd834f57a0132572fc701b1a9062ffca7f970ed68933b34186ca35a75b80f52a
FORMS="c0af e080af eda080 edbfbf f4908080 f5808080 ff 80 e0a0 c1bf"
ESCAPES='\ud800 \udc00 \ud800\u0041 \ud800x \udbff\ud800'
OLBODIES='{bad|[]|{"imageLayoutVersion":"2.0.0"}|{"imageLayoutVersion":1}'

# Every fixture, in one python3 run:
#  defect 5: u/WHERE-FORM (+ .tar): index.json with one ill-formed UTF-8 sequence in a string
#    value, or in a key (RFC 3629: overlong forms, a surrogate, above U+10FFFF, a lead byte
#    that never occurs, a lone continuation, a truncated sequence); u/escN: \u escapes of
#    unpaired surrogates; u/pair: a surrogate pair escape and valid 2-, 3- and 4-byte UTF-8;
#    badnames.tar: member names that are not UTF-8 (a stray byte, an overlong form, a
#    surrogate);
#  defect 6: big: two layers of 2^63-1 bytes;
#  defect 16: olN (+ .tar): an oci-layout that is not valid;
#  defect 17: base.tar; amb: two entries of index.json whose digests share 13 hex digits;
#  review: v2, dupol, olcut.tar (below).
python3 - "$BASE" "$T_TMP" "$FORMS" "$ESCAPES" "$OLBODIES" <<'EOF'
import hashlib, io, json, os, shutil, sys, tarfile
base, tmp, forms, escapes, olbodies = sys.argv[1:6]

def mktar(src, dst):  # an archive of a layout directory (its contents at the root)
    with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, files in os.walk(src):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(root, f)
                t.add(p, arcname=os.path.relpath(p, src), recursive=False)

def mkbad(name, where, what):  # BASE with index.json starting with one more member
    dst = f"{tmp}/u/{name}"
    shutil.copytree(base, dst)
    p = dst + "/index.json"
    s = open(p, "rb").read()
    if where == "escape":
        ins = b'"note":"' + what.encode() + b'",'
    elif where == "key":
        ins = b'"k' + bytes.fromhex(what) + b'":"v",'
    else:
        ins = b'"note":"v' + bytes.fromhex(what) + b'",'
    assert s.startswith(b"{")
    open(p, "wb").write(b"{" + ins + s[1:])
    return dst

os.makedirs(tmp + "/u")
for form in forms.split():
    for where in ("value", "key"):
        d = mkbad(f"{where}-{form}", where, form)
        mktar(d, d + ".tar")
for i, esc in enumerate(escapes.split(), 1):
    mkbad(f"esc{i}", "escape", esc)
d = mkbad("pair", "escape", r"\ud83d\ude00 caf\u00e9")
p = d + "/index.json"
s = open(p, "rb").read()
open(p, "wb").write(b'{"note2":"caf\xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbf",' + s[1:])

with tarfile.open(tmp + "/badnames.tar", "w", format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape") as t:
    for root, dirs, files in os.walk(base):
        for f in sorted(files):
            p = os.path.join(root, f)
            t.add(p, arcname=os.path.relpath(p, base), recursive=False)
    for raw in (b"junk-\xff\x80.txt", b"blobs/sha256/\xc0\xaf", b"blobs/\xed\xa0\x80/x", b"ctl-\x9b\xc2"):
        info = tarfile.TarInfo(raw.decode("utf-8", "surrogateescape"))
        info.size = 3
        t.addfile(info, io.BytesIO(b"abc"))

root = tmp + "/big"
os.makedirs(root + "/blobs/sha256")
def blob(b):
    h = hashlib.sha256(b).hexdigest()
    open(f"{root}/blobs/sha256/{h}", "wb").write(b)
    return "sha256:" + h, len(b)
cd, cs = blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode())
big = 9223372036854775807
layers = [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + c * 64, "size": big} for c in "ab"]
md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                          "layers": layers}).encode())
idx = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
                                          "platform": {"os": "linux", "architecture": "amd64"}}]}
open(root + "/index.json", "w").write(json.dumps(idx))
open(root + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')

for i, body in enumerate(olbodies.split("|"), 1):
    d = f"{tmp}/ol{i}"
    shutil.copytree(base, d)
    open(d + "/oci-layout", "w").write(body)
    mktar(d, d + ".tar")

mktar(base, tmp + "/base.tar")

dst = tmp + "/amb"
shutil.copytree(base, dst)
idx = json.load(open(dst + "/index.json"))
m = idx["manifests"][0]
for c in "12":
    e = dict(m)
    e["digest"] = "sha256:abcabcabcabca" + c * 51
    e["annotations"] = {"org.opencontainers.image.ref.name": "x" + c}
    idx["manifests"].append(e)
json.dump(idx, open(dst + "/index.json", "w"))

# review: v2 (+ .tar): oci-layout 2.0.0 and no index.json; dupol: a key twice in oci-layout;
# olcut.tar: index.json first, oci-layout last, cut inside the last blob.
os.makedirs(tmp + "/v2")
open(tmp + "/v2/oci-layout", "w").write('{"imageLayoutVersion":"2.0.0"}')
mktar(tmp + "/v2", tmp + "/v2.tar")
shutil.copytree(base, tmp + "/dupol")
open(tmp + "/dupol/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0","imageLayoutVersion":"1.0.0"}')
names = ["index.json"] + sorted("blobs/sha256/" + f for f in os.listdir(base + "/blobs/sha256")) + ["oci-layout"]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
    for n in names:
        t.add(os.path.join(base, n), arcname=n, recursive=False)
buf.seek(0)
with tarfile.open(fileobj=buf) as t:
    m = t.getmembers()[-2]  # the last blob
    cut = m.offset_data + m.size // 2
open(tmp + "/olcut.tar", "wb").write(buf.getvalue()[:cut])
EOF
[ $? -eq 0 ] || not_ok "the fixtures could not be built"

# =================================================== defect 5: invalid UTF-8 is invalid-json
for form in $FORMS; do
  for where in value key; do
    name="$where-$form"
    for p in "$T_TMP/u/$name" "$T_TMP/u/$name.tar"; do
      for cmd in resolve ls inspect verify; do
        run "$cmd" --json "$p"
        expect_rc 4 "defect 5: $cmd on index.json with bytes $form in a $where ($(basename "$p"))"
        keep
        case $cmd in
        verify) check finding "$kept" invalid-json "defect 5: verify $(basename "$p"): finding invalid-json" ;;
        *) check code "$kept" invalid-json "defect 5: $cmd $(basename "$p"): error code invalid-json" ;;
        esac
      done
    done
  done
done
n=0
for esc in $ESCAPES; do
  n=$((n + 1))
  for cmd in resolve ls inspect verify; do
    run "$cmd" --json "$T_TMP/u/esc$n"
    expect_rc 4 "defect 5: $cmd on an unpaired surrogate escape $esc"
  done
done
# A surrogate pair and plain UTF-8 stay valid.
run resolve -p linux/arm/v7 --json "$T_TMP/u/pair"
expect_rc 0 "defect 5: a surrogate pair escape and 2-, 3- and 4-byte UTF-8 stay valid"

# The tool's own JSON is valid UTF-8 whatever the input: an archive whose member names are
# not UTF-8 (a stray byte, an overlong form, a surrogate), and a SOURCE path that is not.
for cmd in "verify --json" "ls --json" "resolve --json -p linux/arm/v7" "inspect --json -p linux/arm/v7"; do
  # shellcheck disable=SC2086
  ${OCIDIG_WRAPPER:-} "$OCIDIG" $cmd "$T_TMP/badnames.tar" >"$T_TMP/j.out" 2>/dev/null
  keep "$T_TMP/j.out"
  check strict "$kept" - "defect 5: $cmd on member names that are not UTF-8: strict UTF-8 JSON"
done
${OCIDIG_WRAPPER:-} "$OCIDIG" verify --json "$T_TMP/badnames.tar" >"$T_TMP/j.out" 2>/dev/null
grep -q '"blobs/sha256/\\\\xc0\\\\xaf"' "$T_TMP/j.out" && ok "defect 5: an invalid byte of a name shows as \\xNN" ||
  not_ok "defect 5: an invalid byte of a name shows as \\xNN: $(grep -a blobs/sha256/ "$T_TMP/j.out")"
badsrc=$(printf '%s/no-such-\377\300\257' "$T_TMP")
for cmd in "verify --json" "ls --json" "resolve --json" "inspect --json"; do
  # shellcheck disable=SC2086
  ${OCIDIG_WRAPPER:-} "$OCIDIG" $cmd "$badsrc" >"$T_TMP/j.out" 2>/dev/null
  keep "$T_TMP/j.out"
  check strict "$kept" - "defect 5: $cmd on a SOURCE path that is not UTF-8: strict UTF-8 JSON"
done

# ======================================================= defect 6: sums of sizes saturate
# Two layers of 2^63-1 bytes each: their sum passes int64 (it was -2); never a negative total.
run resolve -p linux/amd64 "$T_TMP/big"
expect_rc 0 "defect 6: resolve over layers of 2^63-1 bytes"
expect_out_has "layers      2, 8 EiB or more compressed" "defect 6: resolve: the saturated total"
run resolve -p linux/amd64 --json "$T_TMP/big"
expect_out_has '"layersSize": 9223372036854775807' "defect 6: resolve --json: layersSize saturates at 2^63-1"
for cmd in "resolve -p linux/amd64" "resolve -p linux/amd64 --json" "inspect -p linux/amd64" "inspect -p linux/amd64 --json" \
  "ls" "ls --json" "verify" "verify --json"; do
  # shellcheck disable=SC2086
  run $cmd "$T_TMP/big"
  case "$out" in
  *' -'[0-9]*' B'* | *': -'[0-9]* | *'"size": -'* | *'Size": -'* | *'Bytes": -'*) not_ok "defect 6: $cmd: a negative size: $out" ;;
  *) ok "defect 6: $cmd: no negative size" ;;
  esac
done
run inspect -p linux/amd64 "$T_TMP/big"
expect_out_has "8 EiB or more" "defect 6: inspect: the saturated total"
run ls "$T_TMP/big"
expect_out_has "8 EiB or more" "defect 6: ls: the saturated total"

# ============================================ defect 15: one name per condition, everywhere
mkdir -p "$T_TMP/empty"
run verify --json "$T_TMP/empty"
expect_rc 3 "defect 15: verify on an empty directory"
keep
check finding "$kept" missing-index-json "defect 15: empty directory: the finding is missing-index-json"
check nofinding "$kept" index-json-missing "defect 15: empty directory: not the old name index-json-missing"
check code "$kept" missing-index-json "defect 15: empty directory: the error code is missing-index-json"
while read -r fixture code; do
  for p in "$V/$fixture" "$V/$fixture.tar.gz"; do
    run verify --json "$p"
    keep
    check finding "$kept" "$code" "defect 15: verify $(basename "$p"): finding $code"
  done
done <<EOF
index-json-invalid invalid-json
digest-invalid invalid-digest
digest-unsupported unsupported-digest-algorithm
oci-layout-invalid bad-oci-layout
oci-layout-version bad-oci-layout
index-json-missing missing-index-json
EOF
# No finding code is another spelling of a library code: the same words in another order, or
# one's words a part of the other's (json-invalid / invalid-json, digest-unsupported /
# unsupported-digest-algorithm).  platform-not-found (no manifest for --platform) is not
# not-found (SOURCE does not exist).
python3 - "$SRC/src/lib/verify/findings.c" "$SRC/src/lib/error.c" >"$T_TMP/pairs" <<'EOF'
import re, sys
verify, error = open(sys.argv[1]).read(), open(sys.argv[2]).read()
lib = set(re.findall(r'\] = "([a-z0-9-]+)"', error))
findings = set(re.findall(r'\] = \{\s*"([a-z0-9-]+)"', verify))
allowed = {("platform-not-found", "not-found")}
print("#", len(findings), "finding codes,", len(lib), "library codes")
for f in sorted(findings):
    for c in sorted(lib):
        a, b = set(f.split("-")), set(c.split("-"))
        if f != c and (a <= b or b <= a) and (f, c) not in allowed:
            print(f, c)
EOF
head -1 "$T_TMP/pairs"
if [ "$(grep -vc '^#' "$T_TMP/pairs")" -eq 0 ] && grep -q '^# [1-9][0-9]* finding codes' "$T_TMP/pairs"; then
  ok "defect 15: no verify finding code spells a library code another way"
else
  not_ok "defect 15: finding codes that spell a library code another way: $(grep -v '^#' "$T_TMP/pairs" | tr '\n' ';')"
fi
# Where resolve stops on an error, verify reports the same code (finding or error).
for p in "$V"/*; do
  case $p in *MANIFEST) continue ;; esac
  run resolve --json -p linux/amd64 "$p"
  keep
  r=$kept
  run verify --json "$p"
  keep
  check same "$r" "$kept" "defect 15: $(basename "$p")"
done

# ============================================================ defect 16: exit statuses
DK="$S/docker-save-by-id.tar"
run cat "$DK" index.json
expect_rc 2 "defect 16: cat index.json of a legacy docker save archive is a usage error"
expect_err_has "docker save archive" "defect 16: cat index.json of a docker save archive: the message says why"
run cat "$DK" oci-layout
expect_rc 2 "defect 16: cat oci-layout of a legacy docker save archive is a usage error"
run cat "$BASE" manifest.json
expect_rc 2 "defect 16: cat manifest.json of an OCI layout is a usage error"
run cat "$DK" manifest.json
expect_rc 0 "defect 16: cat manifest.json of a docker save archive"

# An oci-layout that is not valid (not JSON, not an object, another version): bad-oci-layout,
# exit 3, a message naming the file, from every command.
i=0
oIFS=$IFS
IFS='|'
set -f
# shellcheck disable=SC2086
set -- $OLBODIES
set +f
IFS=$oIFS
for body; do
  i=$((i + 1))
  d="$T_TMP/ol$i"
  for p in "$d" "$d.tar"; do
    for cmd in "resolve -p linux/arm/v7" "ls" "inspect -p linux/arm/v7" "verify" "cat -p linux/arm/v7 @ config" \
      "cat @ index.json" "cat @ $MAN"; do
      # shellcheck disable=SC2086
      set -- $cmd
      a=$1
      shift
      case "$*" in *@*) b=${*%%@*} w=${*#*@ } ;; *) b=$* w= ;; esac
      # shellcheck disable=SC2086
      run "$a" $b "$p" $w
      expect_rc 3 "defect 16: $a $w with oci-layout '$body' ($(basename "$p"))"
      expect_err_has "oci-layout" "defect 16: $a $w with oci-layout '$body': the message names the file"
      expect_err_has "(bad-oci-layout)" "defect 16: $a $w with oci-layout '$body': the code"
      case "$err" in *'ocidig:  ('*) not_ok "defect 16: $a $w: an empty message: $err" ;; esac
    done
    for cmd in resolve ls inspect verify; do
      run "$cmd" --json -p linux/arm/v7 "$p"
      keep
      check code "$kept" bad-oci-layout "defect 16: $cmd --json with oci-layout '$body' ($(basename "$p")): error code"
    done
  done
done
run cat "$T_TMP/ol1" oci-layout
expect_rc 0 "defect 16: cat oci-layout still shows an invalid oci-layout"

# An oci-layout nobody may read (as a user other than root): io-error, exit 3, everywhere.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
  setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
  AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
elif [ "$(id -u)" -ne 0 ]; then
  AS=""
else
  AS=none
fi
if [ "$AS" = none ]; then
  skip "defect 16: an unreadable oci-layout" "root without setpriv cannot drop privileges"
else
  # A copy of the binary the user can reach: the build tree may sit under a 0700 home.
  chmod 711 "$T_TMP"
  mkdir -m 755 "$T_TMP/unr"
  ocidig_copy "$T_TMP/unr/bin"
  cp -R "$BASE" "$T_TMP/unr/l"
  chmod -R a+rX "$T_TMP/unr/l"
  chmod 000 "$T_TMP/unr/l/oci-layout"
  for cmd in "resolve -p linux/arm/v7" "ls" "inspect -p linux/arm/v7" "verify" "cat -p linux/arm/v7 @ config" \
    "cat @ index.json" "cat @ $MAN"; do
    # shellcheck disable=SC2086
    set -- $cmd
    a=$1
    shift
    case "$*" in *@*) b=${*%%@*} w=${*#*@ } ;; *) b=$* w= ;; esac
    # shellcheck disable=SC2086
    $AS env LD_LIBRARY_PATH="$T_TMP/unr/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$T_TMP/unr/bin/ocidig" \
      "$a" $b "$T_TMP/unr/l" $w >/dev/null 2>"$T_TMP/err"
    rc=$?
    err=$(cat "$T_TMP/err")
    expect_rc 3 "defect 16: $a $w with an unreadable oci-layout"
    expect_err_has "(io-error)" "defect 16: $a $w with an unreadable oci-layout: io-error"
    expect_err_has "oci-layout" "defect 16: $a $w with an unreadable oci-layout: the message names it"
  done
  chmod 700 "$T_TMP"
fi

# ===================================================================== defect 17: short digests
run cat "$BASE" "$MAN"
full=$out
run cat "$BASE" sha256:fd834f57a013
expect_rc 0 "defect 17: cat with sha256: and 12 hex digits"
expect_eq "$out" "$full" "defect 17: cat sha256:fd834f57a013 writes the manifest"
run cat "$BASE" fd834f57a0132572
expect_rc 0 "defect 17: cat with 16 bare hex digits"
expect_eq "$out" "$full" "defect 17: cat fd834f57a0132572 writes the manifest"
run cat "$BASE" fd834f57a01
expect_rc 2 "defect 17: 11 hex digits are too few (usage)"
run cat "$BASE" sha256:0123456789ab
expect_rc 4 "defect 17: a prefix that names nothing: blob missing"
run cat "$T_TMP/base.tar" cdea3c604c68
expect_rc 0 "defect 17: cat of an archive with a bare prefix (the config)"
expect_out_has '"architecture":"arm"' "defect 17: cat base.tar cdea3c604c68: the config"
run resolve -q --ref @sha256:fd834f57a013 -p linux/arm/v7 "$BASE"
expect_rc 0 "defect 17: --ref @sha256:<12 hex>"
expect_eq "$out" "$MAN" "defect 17: --ref @prefix selects the entry"
run resolve -q --ref @fd834f57a013 -p linux/arm/v7 "$T_TMP/base.tar"
expect_eq "$out" "$MAN" "defect 17: --ref @<bare 12 hex> (archive)"
run verify --ref @fd834f57a013 "$BASE"
expect_rc 0 "defect 17: verify --ref @prefix"
run inspect --ref @fd834f57a013 -p linux/arm/v7 "$BASE"
expect_rc 0 "defect 17: inspect --ref @prefix"
run cat --ref @fd834f57a013 -p linux/arm/v7 "$BASE" manifest
expect_eq "$out" "$full" "defect 17: cat --ref @prefix manifest"
run cat "$DK" sha256:7840c1e8d5f1
expect_rc 0 "defect 17: cat of a docker save archive by a short image ID"
expect_out_has '"architecture":"arm64"' "defect 17: the short image ID names the config"
run resolve -q --ref @7840c1e8d5f1 -p linux/arm64 "$DK"
expect_rc 0 "defect 17: --ref @<short image ID> in a docker save archive"
# Two entries of index.json whose digests share 13 hex digits (amb): ambiguous, the candidates listed.
run cat "$T_TMP/amb" sha256:abcabcabcabca
expect_rc 2 "defect 17: an ambiguous prefix is a usage error"
expect_err_has "ref-ambiguous" "defect 17: an ambiguous prefix: ref-ambiguous"
expect_err_has "sha256:abcabcabcabca111" "defect 17: an ambiguous prefix lists the first candidate"
expect_err_has "sha256:abcabcabcabca222" "defect 17: an ambiguous prefix lists the second candidate"
run cat "$T_TMP/amb" sha256:abcabcabcabca1
expect_rc 4 "defect 17: a unique prefix of a descriptor whose blob is absent: blob missing"
run resolve --ref @abcabcabcabca "$T_TMP/amb"
expect_rc 2 "defect 17: --ref @ambiguous-prefix"
expect_err_has "ref-ambiguous" "defect 17: --ref @ambiguous-prefix: ref-ambiguous"
expect_err_has "abcabcabcabca222" "defect 17: --ref @ambiguous-prefix lists the candidates"

# ====================================================== review: findings after issue 12's fixes
# A docker save archive may carry repositories (this one lacks it): absent is blob-missing (4);
# only files its kind never has (index.json, oci-layout of a docker save archive; manifest.json,
# repositories of an OCI layout) are usage errors (2).
run cat "$DK" repositories
expect_rc 4 "review: cat repositories of a docker save archive that lacks it: blob-missing"
expect_err_has "blob-missing" "review: cat repositories of a docker save archive that lacks it: the code"
run cat "$BASE" repositories
expect_rc 2 "review: cat repositories of an OCI layout is a usage error"
run cat "$T_TMP/base.tar" manifest.json
expect_rc 2 "review: cat manifest.json of an OCI archive is a usage error"

# Digests with more hex digits than the algorithm has, or fewer than 12: usage errors worded
# "12 to N hex digits", before any lookup (standard input is not even read).
H66=$(printf '%066d' 0 | tr 0 a)
run cat "$DK" "sha256:$H66"
expect_rc 2 "review: cat sha256:<66 hex> is a usage error"
expect_err_has "12 to 64 hex digits" "review: cat sha256:<66 hex>: the message gives the range"
run cat "$DK" sha256:7840c1e8d5f
expect_rc 2 "review: cat sha256:<11 hex> is a usage error"
expect_err_has "12 to 64 hex digits" "review: cat sha256:<11 hex>: the message agrees with the help"
run cat "$DK" "sha512:$H66$H66"
expect_rc 2 "review: cat sha512:<132 hex> is a usage error"
expect_err_has "12 to 128 hex digits" "review: cat sha512:<132 hex>: the message gives the range"
${OCIDIG_WRAPPER:-} "$OCIDIG" cat - "sha256:$H66" </dev/null >/dev/null 2>"$T_TMP/err"
rc=$?
err=$(cat "$T_TMP/err")
expect_rc 2 "review: cat - sha256:<66 hex> fails before reading standard input"

# One order everywhere: index.json (or manifest.json) first, then oci-layout.  A directory
# with an oci-layout of another version and no index.json is missing-index-json for all (cat
# of a digest still reads a blob without index.json: here it is absent, not bad-oci-layout).
for p in "$T_TMP/v2" "$T_TMP/v2.tar"; do
  for cmd in resolve ls inspect verify "cat @ config" "cat @ manifest"; do
    # shellcheck disable=SC2086
    set -- $cmd
    a=$1
    shift
    case "$*" in *@*) w=${*#*@ } ;; *) w= ;; esac
    # shellcheck disable=SC2086
    run "$a" "$p" $w
    expect_rc 3 "review: $a $w, oci-layout 2.0.0 and no index.json ($(basename "$p"))"
    expect_err_has "(missing-index-json)" "review: $a $w, oci-layout 2.0.0 and no index.json ($(basename "$p")): missing-index-json"
  done
  run cat "$p" "$MAN"
  expect_rc 4 "review: cat DIGEST, oci-layout 2.0.0 and no index.json ($(basename "$p")): blob-missing"
  run verify --json "$p"
  keep
  check code "$kept" missing-index-json "review: verify --json, oci-layout 2.0.0 and no index.json ($(basename "$p")): error code"
  check nofinding "$kept" bad-oci-layout "review: verify --json $(basename "$p"): no bad-oci-layout finding before index.json"
done
# verify reads oci-layout once and still reports its duplicate keys.
run verify --json "$T_TMP/dupol"
keep
check finding "$kept" json-duplicate-key "review: verify: a duplicate key in oci-layout is still a finding"

# An archive cut in another member, read on the way to oci-layout: the error is about that
# member, and no command puts "oci-layout:" before it.  index.json first, oci-layout last.
for cmd in "resolve -p linux/arm/v7" "ls" "verify" "cat @ $MAN" "cat @ index.json"; do
  # shellcheck disable=SC2086
  set -- $cmd
  a=$1
  shift
  case "$*" in *@*) b=${*%%@*} w=${*#*@ } ;; *) b=$* w= ;; esac
  # shellcheck disable=SC2086
  run "$a" $b "$T_TMP/olcut.tar" $w
  expect_rc 3 "review: $a $w of an archive cut before oci-layout"
  expect_err_has "(truncated-archive)" "review: $a $w of an archive cut before oci-layout: truncated-archive"
  case "$err" in
  *"oci-layout: "*) not_ok "review: $a $w of an archive cut in a blob: the message says oci-layout: $err" ;;
  *) ok "review: $a $w of an archive cut in a blob: no oci-layout: prefix" ;;
  esac
done

check_all
finish
