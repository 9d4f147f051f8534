-- A complete policy for the simulated cluster of `berth rules check`: dedicated servers, zone
-- rules, a spread, a pin and a scale, together.
dedicate("gold", { tier = "gold" })

tenant("acme", function(t)
  t:allow { zone = "a" }
  t:prefer { ssd = true }
end)

tenant("initech", function(t)
  t:spread("zone", 0.4)
end)

tenant("umbrella", function(t)
  t:scale(1.5)
  t:avoid { rack = "r2" }
end)

pin("stream-000042", "server-01")
