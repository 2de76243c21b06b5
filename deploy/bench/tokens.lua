-- wrk script: every request carries a bearer token from the file given after `--`.
-- `random` (default) picks uniformly, so a few hundred tokens repeat as real callers do;
-- `sequential` walks the file, so every request has a token no earlier request had.
local tokens, count, next_index = {}, 0, 0
local order = "random"

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      count = count + 1
      tokens[count] = line
    end
  end
  order = args[2] or order
  math.randomseed(os.time() + count)
end

function request()
  local token
  if order == "sequential" then
    next_index = next_index % count + 1
    token = tokens[next_index]
  else
    token = tokens[math.random(count)]
  end
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. token })
end
