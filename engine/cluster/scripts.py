"""The steps of ownership that must be atomic, as Lua scripts Redis runs whole."""

# KEYS: owner key of the game, owned set of the worker. ARGV: worker id, game id.
# Gives the game to the worker unless it has an owner already; answers the owner either way.
ASSIGN = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('SADD', KEYS[2], ARGV[2])
  return ARGV[1]
end
return redis.call('GET', KEYS[1])
"""

# KEYS: owner key of the game, owned set of the dead worker, owned set of the adopter, lease of
# the adopter. ARGV: dead worker id, adopter id, game id.
# Moves the game to the adopter if the dead worker still owns it (or nobody does) and the
# adopter's own lease is alive; 1 if it moved.
ADOPT = """
redis.call('SREM', KEYS[2], ARGV[3])
if redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
"""

# KEYS: owner key of the game, owned set of the worker. ARGV: worker id, game id.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SREM', KEYS[2], ARGV[2])
return 1
"""

# KEYS: the publishing worker's lease. ARGV: how many (channel, payload) pairs follow, the
# snapshots' time to live in ms, the pairs, then (snapshot key, frozen game) pairs.
# Publishes and keeps snapshots only while the lease is alive: a worker that stalled past its
# lease and woke up can neither reach a socket of a game another worker has adopted nor
# overwrite its snapshot. -1 when fenced out.
FENCED_PUBLISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local published = tonumber(ARGV[1])
for i = 3, 2 + 2 * published, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end
for i = 3 + 2 * published, #ARGV, 2 do redis.call('SET', ARGV[i], ARGV[i + 1], 'PX', ARGV[2]) end
return published
"""
