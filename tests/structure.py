#!/usr/bin/env python3
"""structure.py SRCDIR BUILDDIR: the library's shape.  Fails (exit 1) when
 - a file of src/lib is longer than 1,200 lines;
 - the library's modules call each other in a cycle (read from the symbols each object
   file defines and needs: a call from a lower layer up to a higher one closes a loop);
   a module is a file of src/lib, or a folder of it (src/lib/verify/ is one module);
 - a header of src/lib includes, directly or not, one that includes it back;
 - a file of src/cli includes a header of src/lib other than what the CLI may use.
Prints the module graph's edges with -v."""
import collections, glob, os, re, subprocess, sys

src, build = sys.argv[1], sys.argv[2]
verbose = "-v" in sys.argv
LIMIT = 1200
fail = []

lib = os.path.join(src, "src", "lib")
for path in sorted(glob.glob(os.path.join(lib, "**", "*.[ch]"), recursive=True)):
    n = sum(1 for _ in open(path, encoding="utf-8", errors="replace"))
    if n > LIMIT:
        fail.append("%s: %d lines, more than %d" % (os.path.relpath(path, src), n, LIMIT))

def module(rel):  # rel: path under src/lib without extension
    d = os.path.dirname(rel)
    return d if d else rel

objs = glob.glob(os.path.join(build, "src", "lib", "**", ".libs", "libocidig_la-*.o"), recursive=True)
if not objs:
    fail.append("no object files of libocidig under %s (build first)" % build)
defs, needs = {}, collections.defaultdict(set)
for o in objs:
    reldir = os.path.relpath(os.path.dirname(os.path.dirname(o)), os.path.join(build, "src", "lib"))
    stem = os.path.basename(o)[len("libocidig_la-"):-2]
    if not os.path.exists(os.path.join(lib, reldir, stem + ".c")):
        continue  # left over from a file that is gone
    m = module(os.path.normpath(os.path.join(reldir, stem)) if reldir != "." else stem)
    out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "TDBRGS":
            defs[p[2]] = m
        elif len(p) == 2 and p[0] == "U":
            needs[m].add(p[1])
edges = collections.defaultdict(set)
for m, syms in needs.items():
    for s in syms:
        t = defs.get(s)
        if t and t != m:
            edges[m].add(t)
if verbose:
    for m in sorted(edges):
        print("%s -> %s" % (m, ", ".join(sorted(edges[m]))))

def cycles(graph, nodes):
    index, low, stack, on, out, i = {}, {}, [], set(), [], [0]
    def strong(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            strong(v)
    return out

for comp in cycles(edges, set(edges) | {t for s in edges.values() for t in s}):
    fail.append("modules that call each other in a loop: " + " <-> ".join(comp))

inc = collections.defaultdict(set)
headers = {}
for path in glob.glob(os.path.join(lib, "**", "*.h"), recursive=True):
    headers[os.path.relpath(path, lib)] = path
for rel, path in headers.items():
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if m:
            tgt = os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1)))
            if tgt not in headers:
                tgt = os.path.normpath(m.group(1))
            if tgt in headers:
                inc[rel].add(tgt)
for comp in cycles(inc, set(headers)):
    fail.append("headers that include each other: " + " <-> ".join(comp))

for path in glob.glob(os.path.join(src, "src", "cli", "*.[ch]")):
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if m and os.path.basename(m.group(1)) in {os.path.basename(h) for h in headers} - {"config.h"}:
            fail.append("%s includes the library's private %s" % (os.path.relpath(path, src), m.group(1)))

for f in fail:
    print("FAIL:", f)
print("%d modules, %d call edges; %d problems" % (len(set(edges) | {t for s in edges.values() for t in s}),
                                                   sum(len(s) for s in edges.values()), len(fail)))
sys.exit(1 if fail else 0)
