-- Marconi's dedicated storage: the gold tenant gets the tier=gold servers to itself,
-- and every other tenant stays off them.
dedicate("gold", { tier = "gold" })
