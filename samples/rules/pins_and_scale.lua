-- Pin one stream to one server (it wins over every other rule), and weigh a tenant whose
-- streams cost more than their appraised load says.
pin("stream-000007", "server-03")

tenant("umbrella", function(t)
  t:scale(2.0)
end)
