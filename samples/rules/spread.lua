-- Spread a tenant across zones: at most 40% of its streams in any one zone, so losing a zone
-- never takes more than 40% of it down. Streams stay in their current zone while it is under
-- the cap; only the excess moves.
tenant("initech", function(t)
  t:spread("zone", 0.4)
end)

-- Every tenant with many streams is spread the same way; small ones are left alone.
tenant("*", function(t)
  if t.name:find("^tenant%-") and t.streams >= 100 then
    t:spread("zone", 0.5)
  end
end)
