-- Hard requirements and soft preferences by label.

-- acme must stay in zone a, and would rather be on servers with local SSDs.
tenant("acme", function(t)
  t:allow { zone = "a" }
  t:prefer { ssd = true }
end)

-- globex may go anywhere but rack r2, and avoids zone c while it has a choice.
tenant("globex", function(t)
  t:deny { rack = "r2" }
  t:avoid { zone = "c" }
end)
