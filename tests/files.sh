#!/bin/sh
# files.sh: `ocidig files` and `ocidig cat --file` (issue 14 items 2 and 3) against a
# reference computed independently (tests/files_ref.py: the layers extracted in order with
# GNU tar into a scratch directory, the whiteouts applied in Python): the listing equals the
# reference's (type, mode, owner, size, mtime, link target) and each file's bytes from
# cat --file equal the extracted file's, for the fixtures of tests/files_gen.py (OCI layout,
# its archive, standard input, and as skopeo writes it: docker-archive and dir:) and every
# sample of testdata/samples.  Then --layer's changes, the wasted bytes, PATH filters and
# cat --file's errors, each written out by hand from what the generator made.
. "$TESTS_DIR/lib.sh"
for tool in python3 gzip zstd; do
  if ! command -v $tool >/dev/null 2>&1; then
    skip "files" "$tool is needed"
    finish
    exit $?
  fi
done
if ! tar --version 2>/dev/null | grep -q 'GNU tar'; then
  skip "files" "GNU tar is needed for the reference"
  finish
  exit $?
fi
F="$T_TMP/fx"
python3 "$TESTS_DIR/files_gen.py" "$F" || { not_ok "files_gen.py"; finish; exit 1; }

# ocidig files --json as the reference's lines (without the content digest)
to_lines() {
  python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
types = {"file": "f", "directory": "d", "symlink": "l", "hardlink": "f", "char-device": "c",
         "block-device": "b", "fifo": "p"}
rows = []
for e in doc["entries"]:
    t = types.get(e["type"], "?")
    size = "%d,%d" % (e["device"]["major"], e["device"]["minor"]) if "device" in e else str(e["size"])
    link = e["linkTarget"] if e["type"] == "symlink" else "-"
    rows.append("\t".join([e["path"][1:], t, e["mode"], str(e["uid"]), str(e["gid"]), size, str(e["mtime"]), link]))
for r in sorted(rows, key=lambda r: r.split("\t", 1)[0].encode("utf-8", "surrogateescape")):
    print(r)
' "$1"
}

N=0
# compare DESC SOURCE REFDIR [OPTIONS...]: files of SOURCE (with OPTIONS) equals the
# reference over REFDIR (a directory of the same layout); cat --file of every file (from
# SOURCE unless it is "-") equals the extracted file.
compare() {
  desc=$1 src=$2 refdir=$3
  shift 3
  N=$((N + 1))
  if [ "$src" = - ]; then
    ${OCIDIG_WRAPPER:-} "$OCIDIG" files --json "$@" - <"$STDIN" >"$T_TMP/files.json" 2>"$T_TMP/err"
  else
    ${OCIDIG_WRAPPER:-} "$OCIDIG" files --json "$@" "$src" >"$T_TMP/files.json" 2>"$T_TMP/err"
  fi
  rc=$?
  if [ $rc -ne 0 ]; then
    not_ok "$desc: files exit $rc: $(cat "$T_TMP/err")"
    return
  fi
  image=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["image"])' "$T_TMP/files.json")
  mkdir -p "$T_TMP/ref$N"
  refopts=""
  case "$*" in *--platform*) refopts="--platform $2" ;; esac
  case "$*" in *--ref*) refopts="--ref $2" ;; esac
  python3 "$TESTS_DIR/files_ref.py" --manifest "$image" $refopts "$refdir" "$T_TMP/ref$N" \
    >"$T_TMP/ref$N.txt" 2>"$T_TMP/referr"
  case $? in
  0) ;;
  3) skip "$desc" "the reference does not decide it: $(cat "$T_TMP/referr")"; return ;;
  *) not_ok "$desc: the reference failed: $(cat "$T_TMP/referr")"; return ;;
  esac
  # entries no unpacker makes (a hard link to nothing: containerd's unpack fails) are ocidig's
  # to show as it says; the reference names them and they are left out of the comparison
  to_lines "$T_TMP/files.json" | awk -F '\t' 'FILENAME == ARGV[1] { skip[$0] = 1; next } !($1 in skip)' \
    "$T_TMP/ref$N/undecided" - >"$T_TMP/got$N.txt"
  cut -f1-8 "$T_TMP/ref$N.txt" >"$T_TMP/want$N.txt"
  undecided=""
  [ -s "$T_TMP/ref$N/undecided" ] && undecided="; left out, no unpacker makes them: $(tr '\n' ' ' <"$T_TMP/ref$N/undecided")"
  if diff "$T_TMP/want$N.txt" "$T_TMP/got$N.txt" >"$T_TMP/diff"; then
    ok "$desc: files equals the reference ($(wc -l <"$T_TMP/want$N.txt") entries$undecided)"
  else
    not_ok "$desc: files differs from the reference (< reference, > ocidig): $(cat "$T_TMP/diff")"
  fi
  [ "$src" = - ] && return
  bad="" n=0
  while IFS="$(printf '\t')" read -r path type mode uid gid size mtime link sum; do
    [ "$type" = f ] || continue
    n=$((n + 1))
    ${OCIDIG_WRAPPER:-} "$OCIDIG" cat "$@" --file "/$path" "$src" >"$T_TMP/cat" 2>"$T_TMP/err" ||
      bad="$bad /$path (exit $?: $(cat "$T_TMP/err"))"
    cmp -s "$T_TMP/cat" "$T_TMP/ref$N/root/$path" || bad="$bad /$path (bytes differ)"
  done <"$T_TMP/ref$N.txt"
  if [ -z "$bad" ]; then ok "$desc: cat --file of each of $n files equals the extracted file"
  else not_ok "$desc: cat --file:$bad"; fi
}

compare "OCI layout, 3 layers (gzip, zstd, tar)" "$F/multi" "$F/multi"
compare "whiteouts in the same layer as their targets" "$F/samelayer" "$F/samelayer"
compare "the layout as an archive" "$F/multi.tar" "$F/multi"
STDIN="$F/multi.tar"
compare "the archive on standard input" - "$F/multi"
if command -v skopeo >/dev/null 2>&1 &&
  skopeo copy -q "oci:$F/multigz:latest" "docker-archive:$F/docker.tar:fixture:latest" >/dev/null 2>&1 &&
  skopeo copy -q "oci:$F/multigz:latest" "dir:$F/cimage" >/dev/null 2>&1; then
  mkdir "$F/docker" && tar -xf "$F/docker.tar" -C "$F/docker"
  compare "docker-archive (skopeo, docker save's format)" "$F/docker.tar" "$F/docker"
  compare "dir: (skopeo)" "$F/cimage" "$F/cimage"
else
  skip "docker-archive and dir: forms" "skopeo could not write them"
fi

# every sample: the platform resolve picks for this host, else the first one ls shows
for s in "$TESTDATA"/samples/*; do
  name=${s##*/}
  ${OCIDIG_WRAPPER:-} "$OCIDIG" resolve --platform linux/amd64 "$s" >/dev/null 2>&1
  if [ $? -eq 0 ]; then
    plat=linux/amd64
  else
    plat=$("$OCIDIG" ls --json "$s" 2>/dev/null | python3 -c '
import json, sys
for i in json.load(sys.stdin)["images"]:
    for r in i["platforms"]:
        if r.get("kind") == "image" and r.get("platform") and r.get("complete"):
            print(r["platform"]); sys.exit()')
  fi
  if [ -d "$s" ]; then dir=$s; else dir="$T_TMP/sample-$name"; mkdir -p "$dir"; tar -xf "$s" -C "$dir"; fi
  compare "sample $name ($plat)" "$s" "$dir" --platform "$plat"
done

# standard input: a layer over 4 MiB has gone by (not kept) when index.json has been read
${OCIDIG_WRAPPER:-} "$OCIDIG" files - <"$F/big.tar" >"$T_TMP/out" 2>"$T_TMP/err"
rc=$? err=$(cat "$T_TMP/err")
expect_rc 3 "files: a layer of 5 MiB on standard input"
expect_err_has "give the archive as a file (not-rereadable)" "files: a layer of 5 MiB on standard input: said"
run files "$F/big.tar"
expect_rc 0 "files: the same archive as a file"
${OCIDIG_WRAPPER:-} "$OCIDIG" cat --file /blob "$F/big.tar" >"$T_TMP/blob"
expect_eq "$?:$(wc -c <"$T_TMP/blob")" 0:5242880 "cat --file: 5 MiB out of the archive"

# testdata/layers (tests/gen_layers.py: umoci, skopeo, GNU tar, bsdtar): the intact ones,
# and those whose faults leave the tree whole (diff_ids, data after the gzip stream)
L="$TESTDATA/layers"
if [ -d "$L" ]; then
  for name in gnutar-whiteouts umoci-multi skopeo-zstd wrong-diffid count-mismatch trailing-garbage hazards; do
    [ -d "$L/$name" ] && compare "layers/$name" "$L/$name" "$L/$name"
  done
  if [ -d "$L/shared-layer" ]; then
    for plat in linux/amd64 linux/arm64; do
      compare "layers/shared-layer ($plat)" "$L/shared-layer" "$L/shared-layer" --platform $plat
    done
  fi
  if [ -f "$L/docker-save.tar" ]; then
    mkdir -p "$T_TMP/layers-docker" && tar -xf "$L/docker-save.tar" -C "$T_TMP/layers-docker"
    compare "layers/docker-save.tar" "$L/docker-save.tar" "$T_TMP/layers-docker"
  fi
  if [ -d "$L/umoci-multi" ]; then
    # the summary's counts in the singular where there is one (umoci-multi: tests/gen_layers.py
    # writes one symbolic link and one hard link)
    run files "$L/umoci-multi"
    expect_out_has "20 entries: 7 files, 11 directories, 1 symlink, 1 hard link, 0 other;" \
      "layers/umoci-multi: the summary counts, singular for one"
  fi
  if [ -d "$L/trailing-garbage" ]; then
    run files "$L/trailing-garbage"
    expect_err_has "data after its end" "layers/trailing-garbage: a warning"
  fi
  if [ -d "$L/truncated-gzip" ]; then
    run files "$L/truncated-gzip"
    expect_rc 3 "layers/truncated-gzip: truncated-archive"
    expect_err_has "(truncated-archive)" "layers/truncated-gzip: said"
    expect_eq "$out" "" "layers/truncated-gzip: nothing listed"
  fi
fi

# --layer N against the reference's changes of each layer (what layers 0..N-1 left, what
# layer N's tar names, what is left after it)
for img in multi samelayer; do
  for n in 0 1 2; do
    [ $img = samelayer ] && [ $n = 2 ] && continue
    mkdir -p "$T_TMP/chg-$img-$n"
    python3 "$TESTS_DIR/files_ref.py" --changes $n "$F/$img" "$T_TMP/chg-$img-$n" >"$T_TMP/want" 2>"$T_TMP/referr" ||
      { not_ok "files --layer $n $img: the reference failed: $(cat "$T_TMP/referr")"; continue; }
    ${OCIDIG_WRAPPER:-} "$OCIDIG" files --json --layer $n "$F/$img" 2>"$T_TMP/err" | python3 -c '
import json, sys
rows = ["%s\t%s" % (e["change"][0].upper(), e["path"][1:]) for e in json.load(sys.stdin)["entries"]]
print("".join(r + "\n" for r in sorted(rows, key=lambda r: r.split("\t")[1].encode("utf-8", "surrogateescape"))), end="")
' >"$T_TMP/got"
    if diff "$T_TMP/want" "$T_TMP/got" >"$T_TMP/diff"; then
      ok "files --layer $n $img equals the reference's changes ($(wc -l <"$T_TMP/want") paths)"
    else
      not_ok "files --layer $n $img differs from the reference's changes (< reference, > ocidig): $(cat "$T_TMP/diff")"
    fi
  done
done

# ---- what the generator made, written out by hand
M="$F/multi"
run files --layer 1 "$M"
expect_rc 0 "files --layer 1"
for line in "D drwxr-xr-x  0:0 .* /var/cache$" "D -rw-r--r--  0:0  *5000 .* /var/cache/apt/pkgcache.bin" \
  "D .* /opt/app/big" "M .* /opt/app/conf" "D .* /etc/na.*ve file.txt" "M drwxr-xr-x .* /data$" \
  "A .* /data/inside" "M .* /etc/passwd" "A .* /usr/bin/added" "A h.* /usr/bin/tool-hard2 link to /usr/bin/tool" \
  "^layer 1 of 3 (sha256:[0-9a-f]*): 3 added, 11 modified, 5 deleted"; do
  if printf '%s\n' "$out" | grep -q -- "$line"; then ok "files --layer 1: $line"
  else not_ok "files --layer 1 lacks '$line': $out"; fi
done
expect_out_lacks "/etc/os-release" "files --layer 1: what layer 1 did not touch is not listed"
# wasted: replaced or removed files of lower layers: etc/passwd of layers 0 and 1 (26 + 63),
# libx.so.1 of layer 0 (1400), naive file.txt (17), opt/app/big (70000), opt/app/conf (6),
# pkgcache.bin (5000), data (32), srv/www/index.html (140)
run files "$M"
expect_out_has "wasted: 74.9 KiB in 9 files overwritten or removed by a later layer" "files: wasted space"
run files --json "$M"
expect_out_has '"wastedBytes": 76684' "files --json: wasted bytes"
expect_out_has '"wastedFiles": 9' "files --json: wasted files"
run files "$M" /etc/passwd usr/lib
expect_rc 0 "files PATH PATH"
expect_eq "$(printf '%s\n' "$out" | grep -c ' /')" 4 "files PATH: /etc/passwd, /usr/lib and its two entries"
run files "$M" /etc/nothing
expect_rc 2 "files PATH not in the tree"
expect_err_has "/etc/nothing: not in the image's merged tree" "files PATH not in the tree: said"
run files --layer 3 "$M"
expect_rc 2 "files --layer past the last layer"
expect_err_has "the image has 3 layers (0 to 2)" "files --layer 3: said"

# cat --file: links followed inside the tree, errors for what has no bytes
run cat --file /etc/alt-release "$M"
expect_eq "$out" "$(printf 'NAME="Fixture"\nID=fixture')" "cat --file through an absolute symlink"
run cat --file /bin/tool "$M"
expect_rc 0 "cat --file through a symlinked directory"
for spec in "/etc/escape|leaves the image's tree" "/etc/loop-a|more than 40 symbolic links" \
  "/var/cache/apt/pkgcache.bin|removed by layer 1" "/etc/nothing|no such file" "/etc|is a directory" \
  "/tmp/fifo|is a fifo" "/opt/app/.wh..wh..opq|a whiteout's name" "/srv/www/index.html|not a directory"; do
  path=${spec%%|*} msg=${spec#*|}
  run cat --file "$path" "$M"
  expect_rc 2 "cat --file $path"
  expect_err_has "$msg" "cat --file $path: says '$msg'"
  expect_eq "$out" "" "cat --file $path: nothing written"
done
run cat --file /etc/passwd "$M" config
expect_rc 2 "cat --file with a WHAT"
${OCIDIG_WRAPPER:-} "$OCIDIG" cat --file /opt/app/conf "$M" >/dev/full 2>"$T_TMP/err"
rc=$? err=$(cat "$T_TMP/err")
expect_rc 5 "cat --file to a full device"
expect_err_has "output-error" "cat --file to a full device: said"

# a layer changed, or missing: the tree is not made (exit 4), for files and cat --file
cp -r "$M" "$T_TMP/bad"
L2=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"].split(":")[1]
print(json.load(open(sys.argv[1]+"/blobs/sha256/"+m))["layers"][2]["digest"].split(":")[1])' "$M")
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); i=b.index(b"srv is a file"); b[i]=ord("S"); open(p,"wb").write(b)' \
  "$T_TMP/bad/blobs/sha256/$L2"
run files "$T_TMP/bad"
expect_rc 4 "files: a layer whose bytes changed"
expect_err_has "layer 2 (sha256:$L2): the blob's bytes do not match its digest" "files: a changed layer: said"
expect_eq "$out" "" "files: a changed layer: nothing listed"
run cat --file /etc/os-release "$T_TMP/bad"
expect_rc 4 "cat --file: the tree is made of every layer, a changed one included"
expect_eq "$out" "" "cat --file: a changed layer: nothing written"
rm "$T_TMP/bad/blobs/sha256/$L2"
run files "$T_TMP/bad"
expect_rc 4 "files: a layer missing"
expect_err_has "layer 2 (sha256:$L2) is not in the layout" "files: a layer missing: said"

finish
