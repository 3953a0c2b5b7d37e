# no_network.sh: sourced first by the signature suites (before lib.sh).  Runs the suite
# again inside a user and network namespace of its own (unshare -rn) where the machine
# allows it, so that nothing it runs can reach a network (issue 15: no socket), and says in
# the log which it was.  SIG_NO_NET: 1 inside the namespace, 0 where there is none.
if [ -z "${SIG_NO_NET:-}" ]; then
  if unshare -rn true 2>/dev/null; then
    SIG_NO_NET=1 exec unshare -rn sh "$0" "$@"
  fi
  echo "# unshare -n is not available here: running with the network namespace as it is"
  SIG_NO_NET=0
fi
if [ "$SIG_NO_NET" = 1 ]; then echo "# running inside unshare -rn (no network)"; fi
