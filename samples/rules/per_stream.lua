-- Per-stream decisions cost one call per stream, so they are asked for explicitly with
-- stream(); everything else is decided once per tenant.
tenant("acme", function(t)
  t:allow { zone = { "a", "b" } }
end)

stream("acme", function(s)
  -- acme's even-numbered streams are its hot ones: keep them on SSD servers.
  if tonumber(s.id:sub(-1)) % 2 == 0 then
    s:require { ssd = true }
  end
end)
