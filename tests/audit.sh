#!/bin/sh
# ocidig audit (issue 16 item 2): a bundle of 20 sources made by real tools (OCI directories,
# oci-archive and docker-archive tars, docker save, containerd export, .tar.gz, .tar.zst,
# skopeo dir:) locked with ls --lock, then audited unchanged (exit 0, every row ok) and with
# each kind of drift (tests/audit_mutate.py): an image missing, an extra image, a retagged
# digest, a platform missing, a corrupt blob, a source that cannot be read: each detected,
# named, with its exit status; text, JSON and JSON Lines agree; -j 1 and -j 2 agree.
. "$(dirname "$0")/lib.sh"
R=$(dirname "$0")
S=$TESTDATA/samples
C=$TESTDATA/cimage

set -- "$S/buildah-amd64-zstd" "$S/buildah-multiarch" "$S/buildah-multiarch-v2s2list" "$S/podman-save-ocidir" \
  "$S/skopeo-picked-armv7" "$S/skopeo-v2-zstd" "$S/umoci-multitag" "$S/buildah-arm64.docker-archive.tar" \
  "$S/buildah-multiarch.oci-archive.tar" "$S/containerd-export-allplatforms.tar" "$S/docker-save-by-id.tar" \
  "$S/docker-save-legacy-build.tar" "$S/podman-save.docker-archive.tar" "$S/podman-save.oci-archive.tar" \
  "$S/skopeo-v2.oci-archive.tar" "$S/variant-multiarch.tar.gz" "$S/variant-multiarch.tar.zst" "$C/umoci-v1" \
  "$C/multiarch-all" "$C/sync"
expect_eq "$#" 20 "the bundle: 20 sources"
"$OCIDIG" ls --lock "$@" >"$T_TMP/bundle.lock"
expect_eq "$?" 0 "the bundle locked"
L=$T_TMP/bundle.lock

# rows FORMAT_JSON: "status image platform" lines of a --format json audit, sorted.
rows() {
  python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
for r in sorted(a["rows"], key=lambda r: (r["status"], r["image"] or "", r["platform"] or "", r["source"] or "")):
    if r["status"] != "ok":
        print(r["status"], r["image"], r["platform"] or "-", (r["source"] or "(no source)").rsplit("/", 1)[-1])
' "$1"
}

# The bundle as it was sent: every row ok.
run audit --expect "$L" "$@"
expect_rc 0 "the unchanged bundle"
expect_out_has "20 sources: 87 ok" "the unchanged bundle: 87 rows, all ok"
expect_out_lacks "missing" "the unchanged bundle: nothing missing"
"$OCIDIG" audit --expect "$L" --format json -j 1 "$@" >"$T_TMP/j1.json"
"$OCIDIG" audit --expect "$L" --format json -j 2 "$@" >"$T_TMP/j2.json"
if cmp -s "$T_TMP/j1.json" "$T_TMP/j2.json"; then ok "-j 1 and -j 2: the same JSON"; else not_ok "-j 1 and -j 2 differ"; fi
n=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); s=a["summary"]; print(len(a["rows"]), s["ok"], s["sources"], s["exitStatus"])' "$T_TMP/j1.json")
expect_eq "$n" "87 87 20 0" "JSON: 87 rows, 87 ok, 20 sources, exit status 0"

# An image missing: the only source of one image left out.
set -- "$@"
drop=$S/docker-save-legacy-build.tar
keep=""
for s in "$@"; do [ "$s" = "$drop" ] || keep="$keep $s"; done
# shellcheck disable=SC2086
"$OCIDIG" audit --expect "$L" --format json $keep >"$T_TMP/a.json"; rc=$?
expect_rc 6 "an image missing"
expect_eq "$(rows "$T_TMP/a.json")" "missing example.com/corpus/dockerbuild:legacy - (no source)" "an image missing: the one row"

# Mutated copies of sources (tests/audit_mutate.py).
python3 "$R/audit_mutate.py" retag "$S/skopeo-v2-zstd" "$T_TMP/drift" v2
python3 "$R/audit_mutate.py" retag "$S/skopeo-v2-zstd" "$T_TMP/extra" v2-extra
python3 "$R/audit_mutate.py" drop-platform "$S/buildah-multiarch-v2s2list" "$T_TMP/noplat"
python3 "$R/audit_mutate.py" corrupt "$S/buildah-amd64-zstd" "$T_TMP/corrupt"
run_list() { # FILE ARGS...: ocidig ARGS... and then the sources listed in FILE, one a line
  f=$1
  shift
  while IFS= read -r s; do set -- "$@" "$s"; done <"$f"
  "$OCIDIG" "$@"
}
swap() { # FROM TO SOURCES...: the sources with FROM replaced by TO
  from=$1 to=$2
  shift 2
  for s in "$@"; do if [ "$s" = "$from" ]; then printf '%s\n' "$to"; else printf '%s\n' "$s"; fi; done
}

# An extra image: a source the lock does not have.
"$OCIDIG" audit --expect "$L" --format json "$@" "$T_TMP/extra" >"$T_TMP/a.json"; rc=$?
expect_rc 6 "an extra image"
expect_eq "$(rows "$T_TMP/a.json")" "extra v2-extra - extra" "an extra image: the one row"

# A retagged digest: v2 is another image now.
swap "$S/skopeo-v2-zstd" "$T_TMP/drift" "$@" >"$T_TMP/list"
run_list "$T_TMP/list" audit --expect "$L" --format json >"$T_TMP/a.json"; rc=$?
expect_rc 6 "a retagged digest"
expect_eq "$(rows "$T_TMP/a.json")" "drift v2 - drift" "a retagged digest: drift, no missing row beside it"
run_list "$T_TMP/list" audit --expect "$L" >"$T_TMP/a.txt"
if grep -q "drift: v2 is sha256:.* here, sha256:.* in the lock" "$T_TMP/a.txt"; then ok "drift: both digests said"
else not_ok "drift: $(grep drift "$T_TMP/a.txt")"; fi

# A name changed in transit (index.json holds the names; no digest covers it): drift, both
# ways (review s9 finding 3: it passed as ok).
python3 "$R/audit_mutate.py" rename "$S/skopeo-v2-zstd" "$T_TMP/renamed" v3
swap "$S/skopeo-v2-zstd" "$T_TMP/renamed" "$@" >"$T_TMP/list"
run_list "$T_TMP/list" audit --expect "$L" --format json >"$T_TMP/a.json"; rc=$?
expect_rc 6 "a renamed image"
expect_eq "$(rows "$T_TMP/a.json")" "drift v2 - (no source)
drift v3 - renamed" "a renamed image: the new name and the lost one"
run_list "$T_TMP/list" audit --expect "$L" >"$T_TMP/a.txt"
if grep -q "renamed v3: drift: named v3 here, not in the lock (the lock names it v2)" "$T_TMP/a.txt" &&
  grep -q "(no source) v2: drift: named v2 in the lock, by no source here" "$T_TMP/a.txt"; then ok "renamed: both said"
else not_ok "renamed: $(grep drift "$T_TMP/a.txt")"; fi
# The same renamed layout as a .tar.gz (gzip's CRC32 is not what catches it; the lock is).
(cd "$T_TMP/renamed" && tar -czf "$T_TMP/renamed.tar.gz" oci-layout index.json blobs)
swap "$S/skopeo-v2-zstd" "$T_TMP/renamed.tar.gz" "$@" >"$T_TMP/list"
run_list "$T_TMP/list" audit --expect "$L" --format json >"$T_TMP/a.json"; rc=$?
expect_rc 6 "a renamed image in a .tar.gz"
expect_eq "$(rows "$T_TMP/a.json")" "drift v2 - (no source)
drift v3 - renamed.tar.gz" "a renamed image in a .tar.gz: the same rows"
python3 "$R/audit_mutate.py" add-name "$S/skopeo-v2-zstd" "$T_TMP/twonames" v2-also
swap "$S/skopeo-v2-zstd" "$T_TMP/twonames" "$@" >"$T_TMP/list"
run_list "$T_TMP/list" audit --expect "$L" --format json >"$T_TMP/a.json"; rc=$?
expect_rc 6 "a name added to an image"
expect_eq "$(rows "$T_TMP/a.json")" "drift v2 - twonames" "a name added: its row (the image's first name labels it)"

# A platform missing.
swap "$S/buildah-multiarch-v2s2list" "$T_TMP/noplat" "$@" >"$T_TMP/list"
run_list "$T_TMP/list" audit --expect "$L" --format json >"$T_TMP/a.json"; rc=$?
expect_rc 6 "a platform missing"
expect_eq "$(rows "$T_TMP/a.json")" "missing latest windows(10.0.17763.5329+win32k)/amd64 noplat" "a platform missing: its row"

# A corrupt blob: the integrity status, whatever else.
swap "$S/buildah-amd64-zstd" "$T_TMP/corrupt" "$@" >"$T_TMP/list"
run_list "$T_TMP/list" audit --expect "$L" --format json >"$T_TMP/a.json"; rc=$?
expect_rc 4 "a corrupt blob"
expect_eq "$(rows "$T_TMP/a.json")" "corrupt latest linux/amd64 corrupt" "a corrupt blob: its row"
run_list "$T_TMP/list" audit --expect "$L" >"$T_TMP/a.txt"
if grep -q "corrupt: .*sha256:" "$T_TMP/a.txt"; then ok "a corrupt blob: the digest named"
else not_ok "a corrupt blob: $(grep corrupt "$T_TMP/a.txt")"; fi

# A source that cannot be read: 3, and its row.
run audit --expect "$L" "$@" "$T_TMP/not-there"
expect_rc 3 "a source that cannot be read"
expect_out_has "unreadable" "a source that cannot be read: its row"

# JSON Lines: one object per source, then what no source holds; the rows of --format json.
# shellcheck disable=SC2086
"$OCIDIG" audit --expect "$L" --format jsonl $keep "$T_TMP/extra" >"$T_TMP/a.jsonl"
# shellcheck disable=SC2086
"$OCIDIG" audit --expect "$L" --format json $keep "$T_TMP/extra" >"$T_TMP/a.json"
python3 - "$T_TMP/a.jsonl" "$T_TMP/a.json" >"$T_TMP/py" 2>&1 <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
whole = json.load(open(sys.argv[2]))
assert len(lines) == len(whole["sources"]) + 1, (len(lines), len(whole["sources"]))
assert [l["source"] for l in lines] == whole["sources"] + [None]
assert [r for l in lines for r in l["rows"]] == whole["rows"]
status = {l["source"]: l["status"] for l in lines}
assert status[None] == "missing" and status[whole["sources"][-1]] == "extra", status
EOF
if [ $? -eq 0 ]; then ok "jsonl: a line per source and one for no source, the rows of json"
else not_ok "jsonl: $(cat "$T_TMP/py")"; fi

# SARIF 2.1.0: valid against the schema (testdata/sarif; Python's jsonschema when installed,
# else the members the schema requires); a result per row that is not ok.
swap "$S/buildah-amd64-zstd" "$T_TMP/corrupt" "$@" >"$T_TMP/list"
echo "$T_TMP/extra" >>"$T_TMP/list"
run_list "$T_TMP/list" audit --expect "$L" --format sarif >"$T_TMP/a.sarif"; rc=$?
expect_rc 4 "sarif: the status of the audit"
python3 - "$T_TMP/a.sarif" "$TESTDATA/sarif/sarif-2.1.0-rtm.5.json" >"$T_TMP/py" 2>&1 <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
schema = json.load(open(sys.argv[2]))
try:
    import jsonschema
    jsonschema.validate(doc, schema)
    how = "jsonschema"
except ImportError:
    how = "structure"
    assert doc["version"] == "2.1.0" and isinstance(doc["runs"], list)
    for run in doc["runs"]:
        assert isinstance(run["tool"]["driver"]["name"], str)
        for r in run["results"]:
            assert isinstance(r["message"]["text"], str) and r["level"] in ("none", "note", "warning", "error")
            rules = run["tool"]["driver"]["rules"]
            assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
res = doc["runs"][0]["results"]
got = sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1]) for r in res)
assert got == [("audit/corrupt", "corrupt"), ("audit/extra", "extra")], got
assert doc["runs"][0]["invocations"][0]["exitCode"] == 4
print(how)
EOF
if [ $? -eq 0 ]; then ok "sarif: valid ($(cat "$T_TMP/py")), a result per row not ok"
else not_ok "sarif: $(cat "$T_TMP/py")"; fi

# JUnit: parses as XML; a test per row, a suite per source; the documented counts.
run_list "$T_TMP/list" audit --expect "$L" --format junit >"$T_TMP/a.xml"
run_list "$T_TMP/list" audit --expect "$L" --format json >"$T_TMP/a.json"
python3 - "$T_TMP/a.xml" "$T_TMP/a.json" >"$T_TMP/py" 2>&1 <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
a = json.load(open(sys.argv[2]))
assert root.tag == "testsuites"
cases = root.findall("testsuite/testcase")
assert int(root.get("tests")) == len(cases) == len(a["rows"]), (root.get("tests"), len(cases))
fails = [c for c in cases if c.find("failure") is not None]
assert int(root.get("failures")) == len(fails) == 2, root.get("failures")
assert int(root.get("errors")) == 0
assert sorted(f.find("failure").get("type") for f in fails) == ["corrupt", "extra"]
assert len(root.findall("testsuite")) == len(a["sources"])
for s in root.findall("testsuite"):
    assert int(s.get("tests")) == len(s.findall("testcase"))
EOF
if [ $? -eq 0 ]; then ok "junit: parses; tests, failures and errors as documented"
else not_ok "junit: $(cat "$T_TMP/py")"; fi

# --merge: the bundle audited in two shards (JSON Lines), merged: the audit of the whole;
# an image missing from both shards is one row; an image one shard lacks and the other
# holds is not missing.
i=0
: >"$T_TMP/s1"
: >"$T_TMP/s2"
for s in "$@"; do
  i=$((i + 1))
  [ "$s" = "$drop" ] && continue
  if [ $i -le 10 ]; then echo "$s" >>"$T_TMP/s1"; else echo "$s" >>"$T_TMP/s2"; fi
done
run_list "$T_TMP/s1" audit --expect "$L" --format jsonl >"$T_TMP/1.jsonl"
run_list "$T_TMP/s2" audit --expect "$L" --format jsonl >"$T_TMP/2.jsonl"
run audit --merge --format json "$T_TMP/1.jsonl" "$T_TMP/2.jsonl"
expect_rc 6 "merge: the status of the whole"
printf '%s\n' "$out" >"$T_TMP/m.json"
cat "$T_TMP/s1" "$T_TMP/s2" >"$T_TMP/all"
run_list "$T_TMP/all" audit --expect "$L" --format json >"$T_TMP/w.json"
python3 - "$T_TMP/m.json" "$T_TMP/w.json" >"$T_TMP/py" 2>&1 <<'EOF'
import json, sys
m, w = (json.load(open(p)) for p in sys.argv[1:3])
assert m["rows"] == w["rows"], [r for r in m["rows"] if r not in w["rows"]] + [r for r in w["rows"] if r not in m["rows"]]
assert m["summary"]["missing"] == 1 and m["summary"]["exitStatus"] == 6
EOF
if [ $? -eq 0 ]; then ok "merge: two shards give the rows of the whole"
else not_ok "merge: $(cat "$T_TMP/py")"; fi
run audit --merge "$T_TMP/1.jsonl" "$T_TMP/2.jsonl"
expect_out_has "missing: in the lock" "merge: text"
printf 'not json\n' >"$T_TMP/bad.jsonl"
run audit --merge "$T_TMP/bad.jsonl"
expect_rc 4 "merge: a file that is not JSON Lines of audit"
run audit --merge --expect "$L" "$T_TMP/1.jsonl"
expect_rc 2 "merge with --expect"
# --merge and names: one digest named v2 in one source, v2 and v2-also in another. A shard
# of either alone lacks a name of the lock; merged, a name is lost only when every shard that
# holds the digest lacks it (the merge equals the audit of the whole).
"$OCIDIG" ls --lock "$S/skopeo-v2-zstd" "$T_TMP/twonames" >"$T_TMP/names.lock"
for pair in "twonames:" "renamed:v2-also"; do
  other=${pair%%:*} lost=${pair#*:}
  "$OCIDIG" audit --expect "$T_TMP/names.lock" --format jsonl "$S/skopeo-v2-zstd" >"$T_TMP/n1.jsonl"
  "$OCIDIG" audit --expect "$T_TMP/names.lock" --format jsonl "$T_TMP/$other" >"$T_TMP/n2.jsonl"
  "$OCIDIG" audit --merge --format json "$T_TMP/n1.jsonl" "$T_TMP/n2.jsonl" >"$T_TMP/m.json"
  "$OCIDIG" audit --expect "$T_TMP/names.lock" --format json "$S/skopeo-v2-zstd" "$T_TMP/$other" >"$T_TMP/w.json"
  python3 - "$T_TMP/m.json" "$T_TMP/w.json" "$lost" >"$T_TMP/py" 2>&1 <<'EOF'
import json, sys
m, w = (json.load(open(p)) for p in sys.argv[1:3])
assert m["rows"] == w["rows"], (m["rows"], w["rows"])
lost = sorted(r["detail"] for r in m["rows"] if r["status"] == "drift" and r["source"] is None)
assert lost == ([f"named {sys.argv[3]} in the lock, by no source here"] if sys.argv[3] else []), lost
EOF
  if [ $? -eq 0 ]; then ok "merge and names ($other): the rows of the whole"
  else not_ok "merge and names ($other): $(cat "$T_TMP/py")"; fi
done

# --merge and --format junit at scale: 16 shards of 400 images, each file's last line the
# 6,000 images of the other shards (96,000 rows in no source): a row is not compared with
# every other row (the quadratic merge took 4.3 s of CPU here, now 0.24 s; 20 x 1,000: 74 s).
python3 "$R/audit_shards.py" "$T_TMP" 16 400
SANITIZED=no
ASAN_OPTIONS=help=1 "$OCIDIG" --version 2>&1 | grep -q AddressSanitizer && SANITIZED=yes
for fmt in text junit; do
  /usr/bin/time -f "%U %S" -o "$T_TMP/time" "$OCIDIG" audit --merge --format $fmt "$T_TMP"/s*.jsonl >"$T_TMP/m.$fmt"
  expect_eq "$?" 0 "merge of 16 shards ($fmt): exit 0"
  if [ "$SANITIZED" = yes ]; then skip "merge of 16 shards ($fmt): CPU time" "a sanitizer build"
  elif awk '{ exit !($1 + $2 < 2.0) }' "$T_TMP/time"; then ok "merge of 16 shards ($fmt): $(cat "$T_TMP/time") s CPU, under 2"
  else not_ok "merge of 16 shards ($fmt): $(cat "$T_TMP/time") s CPU"; fi
done
expect_eq "$(tail -1 "$T_TMP/m.text")" "16 sources: 6400 ok" "merge of 16 shards: every image held by one shard, none missing"
expect_eq "$(grep -c '<testcase ' "$T_TMP/m.junit")" 6400 "merge of 16 shards (junit): a test per row"
rm -f "$T_TMP"/s*.jsonl

# --require-platform: an image that holds no manifest the matcher accepts is a missing row
# (podman's arm/v7 image serves linux/arm64 through containerd's fallback; not linux/amd64).
run audit --expect "$L" -p linux/amd64 -p linux/arm64 --format json "$@"
expect_rc 6 "--require-platform: images without the platform"
printf '%s\n' "$out" >"$T_TMP/a.json"
rows "$T_TMP/a.json" >"$T_TMP/rp"
python3 - "$T_TMP/bundle.lock" "$T_TMP/rp" >"$T_TMP/py" 2>&1 <<'EOF'
import json, sys
lock = json.load(open(sys.argv[1]))
want = set()
for i in lock["images"]:
    plats = [p["platform"] or "" for p in i["platforms"] if p["present"] and not p.get("attestationOf")]
    arch = {p.split("(")[0].split("/")[0] + "/" + p.split("/")[1] for p in plats if "/" in p}
    arm = any(p.startswith("linux/arm64") or p.startswith("linux/arm/") for p in plats)
    for src in i["sources"]:
        if "linux/amd64" not in arch and "linux/386" not in arch:
            want.add(("linux/amd64", src.rsplit("/", 1)[-1]))
        if not arm:
            want.add(("linux/arm64", src.rsplit("/", 1)[-1]))
got = set()
for line in open(sys.argv[2]):
    st, img, plat, src = line.split()
    assert st == "missing", line
    got.add((plat, src))
assert got == want, (sorted(got - want), sorted(want - got))
print(len(got))
EOF
if [ $? -eq 0 ]; then ok "--require-platform: a row per source and image without it ($(cat "$T_TMP/py"))"
else not_ok "--require-platform: $(cat "$T_TMP/py")"; fi
run audit --expect "$L" -p linux/s390x "$S/buildah-multiarch"
expect_out_lacks "require-platform" "--require-platform: an image that has it: no row"
run audit -p 'linux//x' "$S/buildah-multiarch"
expect_rc 2 "--require-platform: a bad specifier"

# Review s9: an image the lock does not have is still checked (a corrupt layer in it is the
# integrity status, 4, not only "extra"); a tag the lock gives an image the bundle holds names
# another image here: extra, not drift.
python3 "$R/audit_mutate.py" corrupt "$T_TMP/extra" "$T_TMP/extra-corrupt"
"$OCIDIG" audit --expect "$L" --format json "$@" "$T_TMP/extra-corrupt" >"$T_TMP/a.json"; rc=$?
expect_rc 4 "an extra image with a corrupt layer"
expect_eq "$(rows "$T_TMP/a.json")" "corrupt v2-extra linux/amd64 extra-corrupt
extra v2-extra - extra-corrupt" "an extra image with a corrupt layer: both rows"
python3 "$R/audit_mutate.py" retag "$S/skopeo-v2-zstd" "$T_TMP/tagged" latest
"$OCIDIG" audit --expect "$L" --format json "$@" "$T_TMP/tagged" >"$T_TMP/a.json"; rc=$?
expect_rc 6 "an extra image tagged as images the bundle holds"
expect_eq "$(rows "$T_TMP/a.json")" "extra latest - tagged" "a tag of held images: extra, not drift"

# A layer absent from its source: missing when the lock has it and no source holds it;
# nothing when another source of the bundle holds it.
python3 "$R/audit_mutate.py" drop-layer "$S/umoci-multitag" "$T_TMP/nolayer"
swap "$S/umoci-multitag" "$T_TMP/nolayer" "$@" >"$T_TMP/list"
run_list "$T_TMP/list" audit --expect "$L" --format json >"$T_TMP/a.json"; rc=$?
expect_rc 0 "a layer absent from one source, held by another (skopeo-v2.oci-archive.tar)"
python3 "$R/audit_mutate.py" drop-layer "$S/buildah-amd64-zstd" "$T_TMP/nolayer2"
swap "$S/buildah-amd64-zstd" "$T_TMP/nolayer2" "$@" >"$T_TMP/list2"
run_list "$T_TMP/list2" audit --expect "$L" --format json >"$T_TMP/a.json"; rc=$?
expect_rc 6 "a layer absent from every source"
expect_eq "$(rows "$T_TMP/a.json")" "missing latest linux/amd64 nolayer2" "a layer absent from every source: missing, not corrupt"

# The lock itself: held to its format; a bad one is a usage error (2), not a corrupt bundle.
printf '%s garbage' "$(cat "$L")" >"$T_TMP/trail.lock"
run audit --expect "$T_TMP/trail.lock" "$S/podman-save-ocidir"
expect_rc 2 "a lock with data after its JSON"
sed 's/"lockVersion": 1/"lockVersion": "1"/' "$L" >"$T_TMP/str.lock"
run audit --expect "$T_TMP/str.lock" "$S/podman-save-ocidir"
expect_rc 2 "a lock whose version is a string"
run audit --expect /dev/zero "$S/podman-save-ocidir"
expect_rc 2 "a lock that is not a regular file (/dev/zero)"
expect_err_has "not a regular file" "a lock that is not a regular file: said"
printf '{"lockVersion": 1, "images": []}' >"$T_TMP/empty.lock"
"$OCIDIG" audit --expect "$T_TMP/empty.lock" --format jsonl "$S/podman-save-ocidir" >"$T_TMP/e.jsonl"
run audit --merge "$T_TMP/1.jsonl" "$T_TMP/e.jsonl"
expect_rc 2 "merge: parts audited against other locks"

# --require-signature (verify's trust material) and --require-attestation TYPE over the cosign
# layouts of testdata/sig (real cosign signatures; CASE.json gives each key's verdict): an image
# whose signature verifies is ok; another key: unsigned, with the signature's verdict; an image
# with no signature: unsigned; an attestation of the predicate type: ok, of another: unattested.
K=$TESTDATA/sig/cosign/keys
CL=$TESTDATA/sig/cosign/layouts
run audit --require-signature --key "$K/cosign2.pub" --format json "$CL/cimage-cosign-key-rekor" "$S/podman-save-ocidir"
expect_rc 6 "--require-signature: one image signed, one not"
printf '%s\n' "$out" >"$T_TMP/a.json"
expect_eq "$(rows "$T_TMP/a.json" | grep -v incomplete)" "unsigned localhost/corpus-multi:armv7 - podman-save-ocidir" \
  "--require-signature: the unsigned image named (the signed one ok)"
expect_out_has "no signature attached" "--require-signature: why"
run audit --require-signature --key "$K/cosign.pub" "$CL/cimage-cosign-key-rekor"
expect_rc 6 "--require-signature: a signature of another key"
expect_out_has "unsigned: bad-signature" "--require-signature: the signature's verdict as the reason"
run audit --require-signature "$S/podman-save-ocidir"
expect_rc 2 "--require-signature without trust material"
run audit --require-attestation https://cosign.sigstore.dev/attestation/v1 --format json "$CL/cosign-oci-attestation-bundle"
printf '%s\n' "$out" >"$T_TMP/a.json"
expect_eq "$(rows "$T_TMP/a.json" | grep -c unattested)" "0" "--require-attestation: the predicate type attached: no row"
run audit --require-attestation slsaprovenance --format json "$CL/cosign-oci-attestation-bundle" "$S/podman-save-ocidir"
printf '%s\n' "$out" >"$T_TMP/a.json"
expect_eq "$(rows "$T_TMP/a.json" | grep unattested)" "unattested latest - cosign-oci-attestation-bundle
unattested localhost/corpus-multi:armv7 - podman-save-ocidir" \
  "--require-attestation slsaprovenance: every image without one (the attestation itself not)"

# Without a lock: each source verified on its own.
run audit "$S/podman-save-ocidir" "$T_TMP/corrupt"
expect_rc 4 "no lock: a corrupt source"
run audit "$S/podman-save-ocidir" "$S/skopeo-picked-armv7"
expect_rc 0 "no lock: intact sources"

# Usage and the lock itself.
run audit
expect_rc 2 "no source"
run audit --format xml "$S/podman-save-ocidir"
expect_rc 2 "an unknown format"
run audit -j 0 "$S/podman-save-ocidir"
expect_rc 2 "-j 0"
run audit - -
expect_rc 2 "standard input twice"
printf '{"lockVersion": 2, "images": []}' >"$T_TMP/v2.lock"
run audit --expect "$T_TMP/v2.lock" "$S/podman-save-ocidir"
expect_rc 2 "a lock of another version"
expect_err_has "not a lock file of version 1" "a lock of another version: said"
run audit --expect "$T_TMP/no.lock" "$S/podman-save-ocidir"
expect_rc 3 "a lock that is not there"
run audit --expect "$L" - <"$S/podman-save.oci-archive.tar"
expect_rc 6 "standard input as a source (the rest of the bundle missing)"
expect_out_has "localhost/corpus-multi:armv7" "standard input: its image"
if [ -w /dev/full ]; then
  "$OCIDIG" audit --expect "$L" "$S/podman-save-ocidir" >/dev/full 2>/dev/null; rc=$?
  expect_rc 5 "audit to a full disk"
else
  skip "audit to a full disk" "no /dev/full"
fi

finish
