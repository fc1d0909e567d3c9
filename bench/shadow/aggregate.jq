# Baseline for bench/shadow: the same per-domain aggregation as `parity shadow-report`,
# done by jq over the generated log (run with jq -n -c -f aggregate.jq LOG). The domain
# map is reduced to the prefixes the generator uses and fingerprints are left out, which
# only makes jq's work lighter.
def domain($m; $p):
  if ($p | test("^/api/auth/")) then "auth"
  elif ($p | test("^/api/secrets")) then "secrets"
  elif ($p | test("^/api/git/")) then "gitsync"
  elif ($p | test("^/mcp|^/api/mcp/|^/api/marketplace/mcp")) then "mcp"
  elif ($p | test("^/api/harnesses")) then "watcher"
  elif ($p | test("^/api/pipeline/|^/api/memory/jobs")) then "pipeline"
  elif ($p | test("^/api/repair/")) then "schema"
  elif ($p | test("^/api/memory/recall")) then "read"
  elif ($m != "GET" and ($p | test("^/api/memory/"))) then "write"
  elif ($p | test("^/health|^/api/status|^/api/memor")) then "read"
  else "unmapped" end;
reduce inputs as $l ({};
  (if $l.endpoint then ($l.endpoint | split(" ")) else [$l.method, $l.path] end) as [$m, $p]
  | domain($m; $p) as $d
  | .[$d].entries += 1
  | if $l.shadowStatus == 0 then .[$d].error += 1
    else
      (if $l.primaryStatus != $l.shadowStatus then .[$d].structural += 1 else . end)
      | reduce ($l.divergences // [])[] as $v (.;
          if ($v.message | test("^field missing|^extra field")) then .[$d].structural += 1
          elif ($v.message | test("^value mismatch")) then
            (if (($v.primaryValue // "")[0:1]) == (($v.shadowValue // "")[0:1])
             then .[$d].semantic += 1 else .[$d].structural += 1 end)
          else .[$d].semantic += 1 end)
    end)
| {domains: .}
