#!/bin/sh
# regress_output.sh: regression tests of issue 12, defects 4 and 14.
#  defect 4: no text output of any command (stdout or stderr) passes a terminal control
#    from the layout or from argv: no raw ESC or other C0 control but newline, no DEL, no
#    C1 control (U+0080..U+009F in UTF-8) and no byte that is not valid UTF-8 (a lone
#    0x9b is CSI on some terminals).  Fixtures: a layout with a hostile ref name, media
#    type, platform and file name (raw 0x9b and UTF-8 U+009B among them), as a directory
#    and a tar, and a hostile SOURCE path.
#  defect 14: a write error on standard output (/dev/full, a closed stdout, a pipe whose
#    reader is gone with SIGPIPE ignored) exits 5 with a message naming standard output,
#    for every command.
. "$TESTS_DIR/lib.sh"
S="$TESTDATA/samples"

command -v python3 >/dev/null 2>&1 || {
  echo "python3 is needed for these tests"
  exit 77
}

# ------------------------------------------------------------------ fixtures
# hostile/: an OCI layout whose index.json holds, in valid JSON, a ref name with an OSC
# title sequence, BEL, SGR and U+009B; a media type and a platform with controls and C1
# characters; a file under blobs/ whose name holds a raw 0x9b, ESC and U+0085.
# hostile.tar: the same as a tar.  big/: a layout with a 5 MiB layer (cat streams it).
python3 - "$T_TMP" <<'PY' || exit 99
import hashlib, io, json, os, sys, tarfile
tmp = sys.argv[1]

def layout(root, layer_size=1024, hostile=True):
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    def blob(data):
        h = hashlib.sha256(data).hexdigest()
        with open(os.path.join(root, "blobs", "sha256", h), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + h, "size": len(data)}
    layer = blob(bytes((i * 7) & 0xff for i in range(layer_size)))
    layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
    config = blob(json.dumps({"architecture": "amd64", "os": "linux",
                              "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode())
    config["mediaType"] = "application/vnd.oci.image.config.v1+json"
    man = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": config, "layers": [layer]}).encode())
    mt = "application/vnd.oci.image.manifest.v1+json"
    entries = [dict(man, mediaType=mt, platform={"os": "linux", "architecture": "amd64"},
                    annotations={"org.opencontainers.image.ref.name": "v1"})]
    if hostile:
        entries = [
            dict(man, mediaType=mt, platform={"os": "linux", "architecture": "amd64"},
                 annotations={"org.opencontainers.image.ref.name": "ref\x1b]0;PWNED\x07\x1b[31m\u009b"}),
            dict(man, mediaType="application/x\x1b[2J\u009bm\u0085"),
            dict(man, mediaType=mt, platform={"os": "linux\x1b[31m\u0085", "architecture": "arm64\u009b"}),
        ]
        with open(os.path.join(root.encode(), b"blobs", b"sha256", b"evil\x9b\x1b[2J\xc2\x9b\xc0\xaf"), "wb") as f:
            f.write(b"x")
    with open(os.path.join(root, "index.json"), "w", encoding="utf-8") as f:
        json.dump({"schemaVersion": 2, "manifests": entries}, f, ensure_ascii=False)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    return man["digest"]

with open(os.path.join(tmp, "hostile.digest"), "w") as f:
    f.write(layout(os.path.join(tmp, "hostile")))
with tarfile.open(os.path.join(tmp, "hostile.tar"), "w", format=tarfile.GNU_FORMAT,
                  encoding="utf-8", errors="surrogateescape") as t:
    for name in sorted(os.listdir(os.path.join(tmp, "hostile"))):
        t.add(os.path.join(tmp, "hostile", name), arcname=name)
# A hostile SOURCE: a clean layout in a directory whose name is hostile.
evil = os.path.join(tmp.encode(), b"src-\x1b]0;PWNED\x07-\x9b-\xc2\x9b-\xff")
layout(evil.decode("utf-8", "surrogateescape"), hostile=False)
with open(os.path.join(tmp, "big.digest"), "w") as f:
    f.write(layout(os.path.join(tmp, "big"), layer_size=5 << 20, hostile=False))
PY
H="$T_TMP/hostile"
HD=$(cat "$T_TMP/hostile.digest")
EVIL=$(printf '%s/src-\033]0;PWNED\007-\233-\302\233-\377' "$T_TMP")
REF=$(printf 'ref\033]0;PWNED\007\033[31m\302\233')
ARG=$(printf 'x\033[31m\233\302\205')

# no_controls DESCRIPTION: stdout and stderr of the last run hold no byte that could
# drive a terminal.
no_controls() {
  if why=$(python3 - "$T_TMP/out" "$T_TMP/err" <<'PY'
import sys
for name in sys.argv[1:]:
    data = open(name, "rb").read()
    try:
        text = data.decode("utf-8", "strict")
    except UnicodeDecodeError as e:
        print("%s: invalid UTF-8 at byte %d: %r" % (name.rsplit("/", 1)[-1], e.start, data[max(0, e.start - 20):e.start + 4]))
        sys.exit(1)
    for i, ch in enumerate(text):
        c = ord(ch)
        if (c < 0x20 and ch != "\n") or c == 0x7f or 0x80 <= c <= 0x9f:
            print("%s: control U+%04X near %r" % (name.rsplit("/", 1)[-1], c, text[max(0, i - 20):i + 4]))
            sys.exit(1)
PY
  ); then
    ok "$1: no control or invalid UTF-8 reaches the terminal"
  else
    not_ok "$1: $why"
  fi
}
# shown TEXT DESCRIPTION: the escaped form is in stdout or stderr (the text was printed).
shown() {
  if grep -qF -- "$1" "$T_TMP/out" "$T_TMP/err"; then ok "$2: shows $1"; else not_ok "$2: lacks $1; stdout: $out; stderr: $err"; fi
}

# ------------------------------------------------- defect 4: the layout's text
for src in "$H" "$T_TMP/hostile.tar"; do
  kind=${src##*.}
  [ "$kind" = tar ] || kind=dir
  run verify "$src"
  no_controls "defect 4: verify ($kind)"
  shown 'ref\x1b]0;PWNED\x07\x1b[31m\u009b' "defect 4: verify ($kind): the ref name"
  shown 'application/x\x1b[2J\u009bm\u0085' "defect 4: verify ($kind): the media type"
  shown 'linux\x1b[31m\u0085/arm64\u009b' "defect 4: verify ($kind): the platform"
  shown 'evil\x9b\x1b[2J\u009b\xc0\xaf' "defect 4: verify ($kind): the file name (raw 0x9b, overlong /)"
  run verify --platform linux/amd64 "$src"
  no_controls "defect 4: verify --platform ($kind)"
  run verify --ref "$REF" "$src"
  no_controls "defect 4: verify --ref (hostile argv, $kind)"
  run resolve --platform linux/arm64 "$src"
  no_controls "defect 4: resolve ($kind)"
  shown 'linux\x1b[31m\u0085/arm64\u009b' "defect 4: resolve ($kind): the platform"
  run resolve --ref "$ARG" "$src"
  no_controls "defect 4: resolve --ref that names nothing (hostile argv, $kind)"
  run ls "$src"
  no_controls "defect 4: ls ($kind)"
  run ls --platform linux/amd64 "$src"
  no_controls "defect 4: ls --platform ($kind)"
  run inspect --ref "$REF" "$src"
  no_controls "defect 4: inspect --ref (hostile argv, $kind)"
  shown 'ref\x1b]0;PWNED\x07\x1b[31m\u009b' "defect 4: inspect ($kind): the ref name"
  run cat --ref "$REF" "$src" config
  no_controls "defect 4: cat config ($kind)"
  run cat "$src" "$ARG"
  no_controls "defect 4: cat with a hostile WHAT ($kind)"
  run cat "$src" "sha256:$ARG"
  no_controls "defect 4: cat with a hostile digest ($kind)"
done

# The JSON outputs: a C1 control in a string is written \u00NN (the same JSON string);
# the document still parses to the text of the layout.  (Bytes that are not UTF-8, as in
# the file name, are defect 5's: here only ESC and C1 controls written in UTF-8.)
for cmd in "verify --json" "resolve --json --platform linux/arm64" "ls --json" "inspect --json --ref $REF"; do
  # shellcheck disable=SC2086
  run $cmd "$H"
  if LC_ALL=C grep -q "$(printf '\033')" "$T_TMP/out" || LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T_TMP/out"; then
    not_ok "defect 4: ${cmd%% --ref*}: a raw ESC or C1 control in the JSON"
  else
    ok "defect 4: ${cmd%% --ref*}: no raw ESC or C1 control in the JSON"
  fi
done
run ls --json "$H"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1],encoding="utf-8")); sys.exit(d["images"][0]["name"] != "ref\x1b]0;PWNED\x07\x1b[31m\u009b")' "$T_TMP/out"; then
  ok "defect 4: ls --json: the name parses back as it is in the layout"
else
  not_ok "defect 4: ls --json: the name does not parse back; stdout: $out"
fi

# ------------------------------------------- defect 4: a hostile SOURCE path
for cmd in verify resolve ls inspect; do
  run "$cmd" "$EVIL"
  no_controls "defect 4: $cmd with a hostile SOURCE"
  shown 'src-\x1b]0;PWNED\x07-\x9b-\u009b-\xff' "defect 4: $cmd with a hostile SOURCE: the header"
  run "$cmd" "$EVIL-missing"
  no_controls "defect 4: $cmd with a hostile SOURCE that does not exist"
done
run resolve --platform linux/s390x "$EVIL"
no_controls "defect 4: resolve, no match, hostile SOURCE"
run cat "$EVIL-missing" index.json
no_controls "defect 4: cat with a hostile SOURCE that does not exist"
run "$ARG"
no_controls "defect 4: an unknown command (hostile argv)"
run platform "$ARG"
no_controls "defect 4: platform with a hostile SPEC"
run platform 'linux(%1b%c2%9b%9b)/amd64'
no_controls "defect 4: platform with controls percent-encoded"
run verify --fail-on "$ARG" "$H"
no_controls "defect 4: a usage error quoting argv"

# --------------------------------------- defect 14: write errors on stdout
# to_full / to_closed / to_pipe CMD...: run with stdout on /dev/full, closed, or a pipe
# whose reader is gone with SIGPIPE ignored (trap '' PIPE); sets $rc and $err.
to_full() {
  ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@" >/dev/full 2>"$T_TMP/err" <"${STDIN:-/dev/null}"
  rc=$?
  err=$(cat "$T_TMP/err")
}
to_closed() {
  ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@" >&- 2>"$T_TMP/err" <"${STDIN:-/dev/null}"
  rc=$?
  err=$(cat "$T_TMP/err")
}
to_pipe() {
  # The reader end is closed before ocidig starts: every write fails (EPIPE), and
  # the ignored SIGPIPE is inherited through exec.
  python3 - "$T_TMP/err" "${STDIN:-/dev/null}" ${OCIDIG_WRAPPER:-} "$OCIDIG" "$@" <<'PY'
import os, signal, subprocess, sys
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
r, w = os.pipe()
os.close(r)
with open(sys.argv[1], "wb") as e, open(sys.argv[2], "rb") as i:
    p = subprocess.run(sys.argv[3:], stdin=i, stdout=w, stderr=e, restore_signals=False)
sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)
PY
  rc=$?
  err=$(cat "$T_TMP/err")
}
big=$(cat "$T_TMP/big.digest")
tar cf "$T_TMP/big.tar" -C "$T_TMP/big" .
sinks="to_closed to_pipe"
[ -c /dev/full ] && sinks="to_full $sinks"
for sink in $sinks; do
  while read -r desc args; do
    STDIN=
    case "$desc" in *stdin*) STDIN="$T_TMP/big.tar" ;; esac
    # shellcheck disable=SC2086
    eval "set -- $args"
    $sink "$@"
    expect_rc 5 "defect 14: $desc, stdout ${sink#to_}"
    expect_err_has "standard output" "defect 14: $desc, stdout ${sink#to_}: the message names standard output"
    expect_err_has "(output-error)" "defect 14: $desc, stdout ${sink#to_}: the code"
  done <<EOF
resolve-q resolve -q --platform linux/amd64 "$S/umoci-multitag"
resolve resolve --platform linux/amd64 "$S/umoci-multitag"
resolve--json resolve --json --platform linux/amd64 "$S/umoci-multitag"
inspect inspect --platform linux/amd64 --ref v1 "$S/umoci-multitag"
inspect--json inspect --json --platform linux/amd64 --ref v1 "$S/umoci-multitag"
ls ls "$S/umoci-multitag"
ls--json ls --json "$S/umoci-multitag"
verify verify "$S/umoci-multitag"
verify--json verify --json "$S/umoci-multitag"
verify-tar verify "$T_TMP/big.tar"
cat-blob cat "$H" $HD
cat-small-blob cat "$T_TMP/big" sha256:$(ls "$T_TMP/big/blobs/sha256" | head -n 1)
cat-5MiB-blob-dir cat "$T_TMP/big" $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$T_TMP/big/blobs/sha256/${big#sha256:}")
cat-5MiB-blob-tar cat "$T_TMP/big.tar" $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$T_TMP/big/blobs/sha256/${big#sha256:}")
cat-blob-stdin cat - $big
cat-index.json cat "$S/umoci-multitag" index.json
cat-index.json-tar cat "$T_TMP/big.tar" index.json
cat-manifest cat --platform linux/amd64 "$T_TMP/big" manifest
platform platform linux/amd64
platform--json platform --json linux/arm64
--version --version
--help --help
verify--help verify --help
cat--help cat --help
EOF
done
# The status and the message come once, even when several writes failed.
if [ -c /dev/full ]; then
  to_full cat "$T_TMP/big" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$T_TMP/big/blobs/sha256/${big#sha256:}")"
  expect_eq "$(grep -c 'output-error' "$T_TMP/err")" 1 "defect 14: cat to /dev/full: one message"
  expect_err_has "standard output: No space left on device (output-error)" "defect 14: cat to /dev/full: the reason"
fi
# No output due: a closed stdout is no error.
to_closed resolve -q --platform linux/s390x "$S/umoci-multitag"
expect_rc 1 "defect 14: no match, nothing to write, stdout closed"
to_closed verify --fail-on sometimes "$S/umoci-multitag"
expect_rc 2 "defect 14: a usage error, nothing to write, stdout closed"

# verify's signature lines: a containers/image dir: signature is named by its file's path,
# which holds the image folder's name (skopeo sync --dest dir): escaped like every other
# string (review s10 finding 6: it was printed raw).
EVILDIR=$(printf '%s/sync/img-\033[31mRED-\302\233' "$T_TMP")
mkdir -p "$EVILDIR" && cp -R "$TESTDATA/sig/cimage-dir/dir-img-cosign-valid/." "$EVILDIR/" &&
  printf 'Directory Transport Version: 1.1\n' >"$EVILDIR/version"
run verify --key "$TESTDATA/sig/cosign/keys/cosign.pub" "$T_TMP/sync"
no_controls "defect 4: verify --key over a dir: signature in a hostile folder"
shown 'img-\x1b[31mRED-\u009b/signature-1' "defect 4: verify --key: the signature file's path"
finish
