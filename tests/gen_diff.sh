#!/bin/sh
# gen_diff.sh: testdata/diff/builds, made by umoci (0.4.7): the image of
# testdata/layers/umoci-multi (tag "latest") and two builds on it, tags "build1" and
# "build2", that differ by one file (etc/app.conf: "one", "two") and one env var (X=1, X=2):
# each unpacked, the file written, repacked as a fourth layer, X set with umoci config.
# Run from the top of the repository: sh tests/gen_diff.sh; tests/diff.sh uses the result.
set -eu
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp -r testdata/layers/umoci-multi "$T/lay"
for n in 1 2; do
  umoci unpack --rootless --image "$T/lay:latest" "$T/b$n" >/dev/null
done
echo one >"$T/b1/rootfs/etc/app.conf"
echo two >"$T/b2/rootfs/etc/app.conf"
for n in 1 2; do
  umoci repack --image "$T/lay:build$n" "$T/b$n" >/dev/null
  umoci config --image "$T/lay:build$n" --config.env "X=$n" >/dev/null
done
umoci gc --layout "$T/lay"
rm -rf testdata/diff/builds
cp -r "$T/lay" testdata/diff/builds
