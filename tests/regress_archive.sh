#!/bin/sh
# regress_archive.sh: issue 12, defects 7, 8 and 9: valid archives made by real tools
# (zip -0 or python3's zipfile, zstd, gzip, GNU tar --sparse, bsdtar) that ocidig refused,
# and the opt-in --max-bytes cap.  Layouts are built here with one layer file whose digest
# sha256sum computes; every archive must resolve, verify, and cat the layer byte for byte.
. "$TESTS_DIR/lib.sh"

if ! command -v python3 >/dev/null 2>&1 || ! command -v sha256sum >/dev/null 2>&1; then
  echo "python3 and sha256sum are needed: skipped"
  exit 77
fi

# mklayout DIR LAYER: an OCI layout in DIR (created) whose one image (linux/amd64) has the
# file LAYER as its only layer, copied with its holes (cp --sparse=always).
mklayout() {
  ml_dir=$1 ml_layer=$2
  ml_hex=$(sha256sum "$ml_layer" | cut -d' ' -f1)
  ml_size=$(wc -c <"$ml_layer" | tr -d ' ')
  mkdir -p "$ml_dir/blobs/sha256"
  if ! cp --sparse=always "$ml_layer" "$ml_dir/blobs/sha256/$ml_hex" 2>/dev/null; then
    echo "# cp --sparse=always failed: $ml_layer copied without its holes"
    cp "$ml_layer" "$ml_dir/blobs/sha256/$ml_hex"
  fi
  python3 - "$ml_dir" "$ml_hex" "$ml_size" <<'EOF'
import hashlib, json, os, sys
d, layer_hex, layer_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
def put(body):
    h = hashlib.sha256(body).hexdigest()
    with open(os.path.join(d, "blobs", "sha256", h), "wb") as f:
        f.write(body)
    return {"digest": "sha256:" + h, "size": len(body)}
cfg = json.dumps({"architecture": "amd64", "os": "linux",
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_hex]}}).encode()
c = put(cfg)
c["mediaType"] = "application/vnd.oci.image.config.v1+json"
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": c,
                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                              "digest": "sha256:" + layer_hex, "size": layer_size}]}).encode()
m = put(man)
m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
m["platform"] = {"architecture": "amd64", "os": "linux"}
m["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
with open(os.path.join(d, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [m]}, f)
with open(os.path.join(d, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion": "1.0.0"}')
EOF
}

# check_archive DEFECT WHAT ARCHIVE LAYER: resolve, verify and cat of the layer work, and
# cat writes the layer file exactly.
check_archive() {
  ca_d=$1 ca_what=$2 ca_ar=$3 ca_layer=$4
  ca_digest=sha256:$(sha256sum "$ca_layer" | cut -d' ' -f1)
  run resolve --platform linux/amd64 "$ca_ar"
  expect_rc 0 "defect $ca_d: $ca_what: resolve"
  run verify "$ca_ar"
  expect_rc 0 "defect $ca_d: $ca_what: verify"
  expect_out_has "ok: no errors" "defect $ca_d: $ca_what: verify finds no error"
  ${OCIDIG_WRAPPER:-} "$OCIDIG" cat "$ca_ar" "$ca_digest" >"$T_TMP/cat.out" 2>"$T_TMP/cat.err"
  rc=$?
  err=$(cat "$T_TMP/cat.err")
  expect_rc 0 "defect $ca_d: $ca_what: cat the layer"
  if cmp -s "$T_TMP/cat.out" "$ca_layer"; then
    ok "defect $ca_d: $ca_what: cat writes the layer byte for byte"
  else
    not_ok "defect $ca_d: $ca_what: cat output differs from the layer ($(wc -c <"$T_TMP/cat.out") bytes)"
  fi
  rm -f "$T_TMP/cat.out"
}

# ------------------------------------------------ defect 7: stored zip members
# A stored member gives libarchive's zip reader empty blocks (NULL, 0): memcpy(NULL, 0)
# under UBSan.  Empty files too, which are stored whatever the method.
printf 'layer bytes, stored\n' >"$T_TMP/small-layer"
mklayout "$T_TMP/z" "$T_TMP/small-layer"
: >"$T_TMP/z/empty-file"
(cd "$T_TMP/z" && python3 - <<'EOF'
import os, zipfile
with zipfile.ZipFile("../stored-py.zip", "w", zipfile.ZIP_STORED) as z:
    for root, dirs, files in sorted(os.walk(".")):
        for f in sorted(files):
            z.write(os.path.join(root, f))
EOF
)
check_archive 7 "zip of stored members (python3 zipfile, ZIP_STORED)" "$T_TMP/stored-py.zip" "$T_TMP/small-layer"
if command -v zip >/dev/null 2>&1; then
  (cd "$T_TMP/z" && zip -q -0 -r ../stored.zip .)
  check_archive 7 "zip -0" "$T_TMP/stored.zip" "$T_TMP/small-layer"
  # zip -0 from a pipe: sizes in a data descriptor after the data (no size in the header).
  (cd "$T_TMP/z" && find . -type f | sort >../list && zip -q -0 - -@ <../list >../stored-stream.zip)
  check_archive 7 "zip -0 written to a pipe" "$T_TMP/stored-stream.zip" "$T_TMP/small-layer"
else
  echo "# zip not found (apt-get install zip): the zip -0 cases are skipped"
fi
rm -rf "$T_TMP/z"

# ------------------------------------------------ defect 9: sparse tar members
# A layer file that is sparse on disk, archived with GNU tar --sparse (every sparse
# format) and with bsdtar (which writes pax sparse 1.0 for holes it finds).  Its bytes are
# its logical content: the holes read as zeros.
python3 - "$T_TMP" <<'EOF'
import os, sys
t = sys.argv[1]
with open(os.path.join(t, "hole-layer"), "wb") as f:        # entirely a hole: 3 MiB
    f.truncate(3 << 20)
with open(os.path.join(t, "sparse-layer"), "wb") as f:      # data, hole, data, hole at the end
    f.write(b"head of the layer\n" * 1000)
    f.seek(2 << 20)
    f.write(os.urandom(70000))
    f.seek(5 << 20)
    f.write(b"middle\n" * 3000)
    f.truncate(9 << 20)
EOF
# The sparse cases test something only where the file system has holes ($T_TMP is under
# /tmp, perhaps a tmpfs or an overlay): a 3 MiB hole must take (almost) no blocks.
hole_kib=$(du -k "$T_TMP/hole-layer" | cut -f1)
# has_sparse ARCHIVE LAYER: ARCHIVE holds the layer as a sparse member (GNU sparse, or the
# GNU.sparse.* pax headers of the pax formats 0.0, 0.1 and 1.0).
has_sparse() {
  python3 - "$1" "$(sha256sum "$2" | cut -d' ' -f1)" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    sys.exit(0 if any(m.name.endswith(sys.argv[2]) and
                      (m.issparse() or any(k.startswith("GNU.sparse.") for k in m.pax_headers))
                      for m in t.getmembers()) else 1)
EOF
}
# sparse_case DESCRIPTION ARCHIVE LAYER: check_archive if ARCHIVE holds a sparse member; a
# visible skip where the file system has no holes; a failure where it has and tar wrote none.
sparse_case() {
  if [ "$hole_kib" -ge 64 ]; then
    skip "defect 9: $1" "no holes in $T_TMP (a 3 MiB hole takes $hole_kib KiB): tar wrote plain members"
    return 1
  elif ! has_sparse "$2" "$3"; then
    not_ok "defect 9: $1: the archive holds no sparse member"
    return 1
  fi
  ok "defect 9: $1: the archive holds a sparse member"
  check_archive 9 "$1" "$2" "$3"
}
for kind in hole sparse; do
  mklayout "$T_TMP/$kind" "$T_TMP/$kind-layer"
  for fmt in gnu posix-0.0 posix-0.1 posix-1.0 oldgnu; do
    case $fmt in
    posix-*) opts="--format=posix --sparse-version=${fmt#posix-}" ;;
    *) opts="--format=$fmt" ;;
    esac
    # shellcheck disable=SC2086
    if tar -C "$T_TMP/$kind" --sparse $opts -cf "$T_TMP/$kind-$fmt.tar" . 2>"$T_TMP/tar.err"; then
      # The same stream through gzip (libarchive cannot seek in it).
      if sparse_case "$kind layer, tar --sparse $opts" "$T_TMP/$kind-$fmt.tar" "$T_TMP/$kind-layer" &&
        { [ "$fmt" = gnu ] || [ "$fmt" = posix-1.0 ]; }; then
        gzip -1 -c "$T_TMP/$kind-$fmt.tar" >"$T_TMP/$kind-$fmt.tar.gz"
        check_archive 9 "$kind layer, tar --sparse $opts | gzip" "$T_TMP/$kind-$fmt.tar.gz" "$T_TMP/$kind-layer"
        run resolve --platform linux/amd64 - <"$T_TMP/$kind-$fmt.tar.gz"
        ${OCIDIG_WRAPPER:-} "$OCIDIG" verify - <"$T_TMP/$kind-$fmt.tar.gz" >"$T_TMP/out" 2>"$T_TMP/err"
        rc=$?
        err=$(cat "$T_TMP/err")
        expect_rc 0 "defect 9: $kind layer, tar --sparse $opts | gzip: verify - (standard input)"
      fi
    else
      echo "# tar --sparse $opts failed here: $(cat "$T_TMP/tar.err")"
    fi
    rm -f "$T_TMP/$kind-$fmt.tar" "$T_TMP/$kind-$fmt.tar.gz"
  done
  if command -v bsdtar >/dev/null 2>&1; then
    bsdtar -C "$T_TMP/$kind" -cf "$T_TMP/$kind-bsd.tar" .
    sparse_case "$kind layer, bsdtar" "$T_TMP/$kind-bsd.tar" "$T_TMP/$kind-layer"
    # bsdtar's gnutar writer has no sparse members: plain members of the same file.
    bsdtar -C "$T_TMP/$kind" --format=gnutar -cf "$T_TMP/$kind-bsd-gnu.tar" .
    check_archive 9 "$kind layer, bsdtar --format=gnutar (plain members)" "$T_TMP/$kind-bsd-gnu.tar" "$T_TMP/$kind-layer"
    rm -f "$T_TMP/$kind-bsd.tar" "$T_TMP/$kind-bsd-gnu.tar"
  else
    skip "defect 9: $kind layer, bsdtar" "bsdtar not found (apt-get install libarchive-tools)"
  fi
  rm -rf "${T_TMP:?}/$kind"
done

# ------------------------------------------------ defect 8: high ratios, --max-bytes
# A layer of 64 MiB of repetitive text, zstd -3: about 10,000 times smaller, well past the
# old "200 times as many bytes" refusal once past its 32 MiB grace.
python3 - "$T_TMP/text-layer" <<'EOF'
import sys
line = b"2026-12-05T00:00:00Z ocidig regress: the same line again and again\n"
block = line * ((1 << 20) // len(line) + 1)
block = block[:1 << 20]
with open(sys.argv[1], "wb") as f:
    for _ in range(64):
        f.write(block)
EOF
mklayout "$T_TMP/text" "$T_TMP/text-layer"
tar -C "$T_TMP/text" -cf - . | zstd -q -3 >"$T_TMP/text.tar.zst"
check_archive 8 "64 MiB of repetitive text, zstd -3" "$T_TMP/text.tar.zst" "$T_TMP/text-layer"
rm -rf "$T_TMP/text"
# An unreferenced blob of 64 MiB of zeros beside a small image, tar | gzip.
mklayout "$T_TMP/zero" "$T_TMP/small-layer"
head -c $((64 << 20)) /dev/zero >"$T_TMP/zero/blobs/sha256/zeros"
mv "$T_TMP/zero/blobs/sha256/zeros" "$T_TMP/zero/blobs/sha256/$(sha256sum "$T_TMP/zero/blobs/sha256/zeros" | cut -d' ' -f1)"
tar -C "$T_TMP/zero" -cf - . | gzip -c >"$T_TMP/zero.tar.gz"
rm -rf "$T_TMP/zero"
for a in "$T_TMP/text.tar.zst" "$T_TMP/zero.tar.gz"; do
  n=$(basename "$a")
  run verify "$a"
  expect_rc 0 "defect 8: $n: verify reads it all"
  run verify - <"$a"
  expect_rc 0 "defect 8: $n: verify - (standard input)"
  # The opt-in cap: member bytes read.
  run verify --max-bytes 16M "$a"
  expect_rc 4 "defect 8: $n: verify --max-bytes 16M stops"
  expect_err_has "limit-exceeded" "defect 8: $n: verify --max-bytes 16M: limit-exceeded"
  expect_err_has "--max-bytes" "defect 8: $n: verify --max-bytes 16M: says how to raise it"
  run verify --max-bytes 1G "$a"
  expect_rc 0 "defect 8: $n: verify --max-bytes 1G passes"
done
for cmd in "resolve --platform linux/amd64" "inspect --platform linux/amd64" "ls" "cat"; do
  c=${cmd%% *}
  set -- $cmd
  [ "$c" = cat ] && set -- cat --max-bytes 16M "$T_TMP/text.tar.zst" "sha256:$(sha256sum "$T_TMP/text-layer" | cut -d' ' -f1)"
  [ "$c" != cat ] && set -- "$@" --max-bytes 16M "$T_TMP/text.tar.zst"
  run "$@"
  expect_rc 4 "defect 8: $c --max-bytes 16M on 64 MiB of members: exit"
  expect_err_has "limit-exceeded" "defect 8: $c --max-bytes 16M: limit-exceeded"
done
for v in 0 1k 100K 2M 3G 1T 12345; do
  run resolve -q --max-bytes "$v" "$T_TMP/stored-py.zip"
  expect_rc 0 "defect 8: --max-bytes $v is accepted"
done
for v in '' x 1.5M 12Q -1 99999999999999999999 20000000T; do
  run resolve -q --max-bytes "$v" "$T_TMP/stored-py.zip"
  expect_rc 2 "defect 8: --max-bytes '$v' is a usage error"
done
# A directory has no member bytes to count: the cap is accepted and has no effect.
run resolve -q --max-bytes 1 "$TESTDATA/samples/buildah-multiarch"
expect_rc 0 "defect 8: --max-bytes on a directory"

finish
