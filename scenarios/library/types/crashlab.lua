---@meta crashlab

-- Type definitions of the `crashlab` module for the Lua language server (LuaLS, sumneko), so
-- editors complete and type-check scenario code. Nothing here runs in a scenario: crashlab
-- provides the real module, and this file only describes it. Set-up and the full reference
-- are in docs/scenario-api.md ("Editor support").
--
-- Keep it in step with scenarios/lua/runner.c and scenarios/lua/bind_proc.c.

---A process identifier. Equal pids are the same Lua value (they work as table keys);
---`tostring(pid)` is `"<node.slot.generation>"`, for example `"<0.3.0>"`.
---@class crashlab.Pid: userdata

---A monitor reference, as returned by `cl.monitor` and `cl.spawn_monitor`.
---`tostring(ref)` is `"#Ref<node.serial>"`.
---@class crashlab.Ref: userdata

---The wildcard `cl._`: in a receive pattern it matches any value. It is the atom `'_'`, so the
---string `"_"` is the same wildcard.
---@class crashlab.Wildcard: lightuserdata

---A table marked by `cl.list{...}`: it converts to an Erlang list instead of a tuple.
---Received lists carry the same mark, so they convert back to lists.
---@class crashlab.List: table

---A string marked by `cl.bin(s)`: it converts to a binary even when it is 255 bytes or shorter.
---@class crashlab.Bin: table

---A duration: a number of milliseconds (`250`, `0.5`), or a string with a unit: `"7ns"`,
---`"10us"`, `"250ms"`, `"5s"`, `"1.5s"`, `"2m"`, `"1h"`.
---@alias crashlab.Duration number|string

---A value that can travel in a message: integers, floats (not NaN or infinity), booleans,
---strings (atoms up to 255 bytes, binaries beyond), tables (arrays are tuples, other tables
---maps), `cl.list{}` lists, `cl.bin()` binaries, pids, refs and `cl._`. Never nil, a function,
---a coroutine or another userdata.
---@alias crashlab.Term boolean|number|string|table|crashlab.Pid|crashlab.Ref|crashlab.Wildcard

---Where a message goes: a pid, or a registered name.
---@alias crashlab.Dest crashlab.Pid|string|string[] # a pid, a name, or {name, node}

---The argument of `cl.scenario`.
---@class crashlab.ScenarioSpec
---@field name? string       # name in the verdict line (no spaces); default: the file's name
---@field seed? integer      # the default seed; `--seed N` overrides it; default 1
---@field stop? crashlab.Duration # stop at this virtual time; default: when nothing is left to happen (at most 1 h, or --max-time)
---@field expect? "pass"|"fail" # "fail": the scenario demonstrates a bug; it passes only if a property fails
---@field limits? crashlab.Limits # the runaway budget and the memory limit
---@field api_errors? "scenario"|"crash" # a misuse of a cl call inside a process: a scenario error (exit 2, the default) or a crash of that process
---@field crashes? "count"|"fail" # processes that crash with a Lua error: counted at the verdict (the default), or the first one fails the run

---The `limits` of `cl.scenario`.
---@class crashlab.Limits
---@field instructions? integer   # Lua instructions without virtual time passing before a process is a runaway (also per callback); default 200000000, at least 100000
---@field memory? integer|string  # the run's Lua memory: bytes, or "512KiB", "64MiB", "1GiB"; default "256MiB"

---One entry of `cl.exits()`.
---@class crashlab.Exit
---@field pid crashlab.Pid   # the process that exited
---@field reason any         # its exit reason, as its links and monitors saw it
---@field time integer       # when, in whole milliseconds of virtual time

---What `cl.info(pid)` returns about a live process.
---@class crashlab.Info
---@field mailbox integer      # messages waiting in its mailbox
---@field links crashlab.Pid[]        # the processes linked to it, ascending
---@field monitors crashlab.Pid[]     # the processes it monitors (once per monitor), ascending
---@field monitored_by crashlab.Pid[] # the processes monitoring it (once per monitor), ascending
---@field trap_exit boolean    # whether exit signals arrive as {"EXIT", pid, reason} messages
---@field name? string         # its registered name, if any

---What `cl.counters()` returns: events of the run so far, by kind.
---@class crashlab.Counters
---@field spawned integer  # processes spawned
---@field exits integer    # processes that exited (any reason)
---@field sent integer     # messages sent
---@field received integer # messages taken by a receive
---@field dropped integer  # messages sent to a process that was already dead
---@field timeouts integer # receive timeouts (including the end of every sleep)
---@field downs integer    # DOWN messages of monitors
---@field signals integer  # exit signals that reached a process over a link or by exit/kill
---@field events integer   # every event of the trace

---A child spec of `cl.supervisor.start` (exactly one of `start` and `supervisor`).
---@class crashlab.ChildSpec
---@field id string                      # unique among the supervisor's children
---@field start? table                   # {function, args...}: a Lua process, a new coroutine at each start; or {"module", "function", args...}: module.function(args...) of the module's current version at each start
---@field supervisor? crashlab.SupFlags  # a nested supervisor (type "supervisor")
---@field restart? "permanent"|"transient"|"temporary" # default "permanent"
---@field shutdown? crashlab.Duration|"brutal_kill"|"infinity" # default "5s" (workers), "infinity" (supervisors)
---@field type? "worker"|"supervisor"
---@field significant? boolean

---A supervisor's flags and children.
---@class crashlab.SupFlags
---@field strategy? "one_for_one"|"one_for_all"|"rest_for_one"|"simple_one_for_one" # default "one_for_one"
---@field intensity? integer             # restarts allowed within a period (default 1)
---@field period? crashlab.Duration      # default "5s"
---@field auto_shutdown? "never"|"any_significant"|"all_significant"
---@field children? crashlab.ChildSpec[]

---One child as `cl.supervisor.children` reports it.
---@class crashlab.SupChild
---@field id? string
---@field pid? crashlab.Pid              # nil when not running
---@field type "worker"|"supervisor"
---@field restart "permanent"|"transient"|"temporary"
---@field restarting boolean
---@field children? crashlab.SupChild[]  # in cl.supervisor.tree, for child supervisors

---A snapshot of a supervision tree (`cl.supervisor.tree`).
---@class crashlab.SupTree
---@field pid crashlab.Pid
---@field restarts integer
---@field children crashlab.SupChild[]

---Supervision trees, with OTP's semantics.
---@class crashlab.supervisor
local supervisor = {}
---Starts a supervisor; from a process it is linked and started synchronously (its children are up when this returns).
---@param flags crashlab.SupFlags
---@return crashlab.Pid
function supervisor.start(flags) end
---@param sup crashlab.Pid
---@param spec crashlab.ChildSpec|table # a spec, or for simple_one_for_one the arguments appended to the template's
---@return crashlab.Pid? pid
---@return any why
function supervisor.start_child(sup, spec) end
---@param sup crashlab.Pid
---@param id string|crashlab.Pid
---@return true? ok
---@return any why
function supervisor.terminate_child(sup, id) end
---@param sup crashlab.Pid
---@param id string
---@return crashlab.Pid? pid
---@return any why
function supervisor.restart_child(sup, id) end
---@param sup crashlab.Pid
---@param id string
---@return true? ok
---@return any why
function supervisor.delete_child(sup, id) end
---{{id, pid|"undefined"|"restarting", type, {behaviour}}, ...} (a call: process only)
---@param sup crashlab.Pid
---@return table[]
function supervisor.which_children(sup) end
---{specs=, active=, supervisors=, workers=} (a call: process only)
---@param sup crashlab.Pid
---@return table<string, integer>
function supervisor.count_children(sup) end
---The children without a message (for properties), or nil if sup is not a live supervisor.
---@param sup crashlab.Pid
---@return crashlab.SupChild[]?
function supervisor.children(sup) end
---Restarts counted in the supervisor's current intensity window, or nil.
---@param sup crashlab.Pid
---@return integer?
function supervisor.restarts(sup) end
---A nested snapshot of the tree under sup, or nil.
---@param sup crashlab.Pid
---@return crashlab.SupTree?
function supervisor.tree(sup) end
---true, or false and what is wrong (a permanent child not running).
---@param sup crashlab.Pid
---@return boolean ok
---@return string? why
function supervisor.check(sup) end
---The processes of a snapshot still alive although its root supervisor is dead.
---@param snapshot crashlab.SupTree
---@return crashlab.Pid[]
function supervisor.orphans(snapshot) end

---The callbacks of a server (OTP's gen_server). Each returns "reply", Reply, State |
---"noreply", State | "stop", Reason[, Reply], State.
---@class crashlab.ServerCallbacks
---@field init? fun(arg: any): any                       # the initial state
---@field handle_call? fun(req: any, from: table, state: any): string, any, any
---@field handle_cast? fun(msg: any, state: any): string, any
---@field handle_info? fun(msg: any, state: any): string, any
---@field terminate? fun(reason: any, state: any)
---@field code_change? fun(old_vsn: any, state: any, extra: any): string, any # "ok", NewState

---Servers with gen_server's semantics.
---@class crashlab.server
local server = {}
---Starts a server; from a process it is linked and its init has run when this returns.
---Callbacks given as a module (its name or handle) are called fully qualified.
---@param callbacks crashlab.ServerCallbacks|crashlab.Module|string
---@param arg any
---@param opts? {name?: string}
---@return crashlab.Pid
function server.start(callbacks, arg, opts) end
---Turns the calling process into the server (for a supervisor child's start function).
---@param callbacks crashlab.ServerCallbacks|crashlab.Module|string
---@param arg any
---@param opts? {name?: string}
function server.enter(callbacks, arg, opts) end
---A synchronous call; raises {"timeout"|"noproc"|Reason, {"gen_server", "call", {Server, Request, Timeout}}}.
---@param s crashlab.Pid|string|string[] # a pid, a name or {name, node}
---@param request any
---@param timeout? crashlab.Duration|"infinity" # default 5 s
---@return any reply
function server.call(s, request, timeout) end
---@param s crashlab.Pid|string|string[] # a pid, a name or {name, node}
---@param msg any
---@return "ok"
function server.cast(s, msg) end
---Answers a call later (handle_call returned "noreply" and kept `from`).
---@param from table
---@param reply any
---@return "ok"
function server.reply(from, reply) end

---Upgrading a running server, as OTP's sys module does. Each call's failures are raised as
---{"timeout"|"noproc"|Reason, {"sys", Function, Args}}.
---@class crashlab.sys
local sys = {}
---Suspends the server: until resume it handles only system messages (its requests queue).
---@param s crashlab.Pid|string|string[] # a pid, a name or {name, node}
---@param timeout? crashlab.Duration|"infinity" # default 5 s
---@return "ok"
function sys.suspend(s, timeout) end
---@param s crashlab.Pid|string|string[]
---@param timeout? crashlab.Duration|"infinity"
---@return "ok"
function sys.resume(s, timeout) end
---Runs code_change(old_vsn, state, extra) of the server's current version on its state (the
---server must be suspended). "ok", or {"error", Reason} with the state left as it was.
---@param s crashlab.Pid|string|string[]
---@param module string
---@param old_vsn any
---@param extra any
---@param timeout? crashlab.Duration|"infinity"
---@return "ok"|table
function sys.change_code(s, module, old_vsn, extra, timeout) end
---The server's state.
---@param s crashlab.Pid|string|string[]
---@param timeout? crashlab.Duration|"infinity"
---@return any
function sys.get_state(s, timeout) end

---A module handle: `kv.f(...)` calls function f of the current version of module kv on the
---calling process's node (Erlang's fully-qualified kv:f(...)).
---@class crashlab.Module: userdata

---@class crashlab.Versions
---@field current? integer # the current version's number (absent: none)
---@field old? integer     # the old version's number (absent: none)

---Hot code loading: modules with a current and at most one old version per node.
---@class crashlab.code
local code = {}
---Loads a table of functions as the new current version of module `name` (the current one
---becomes old). Returns the module's handle and the new version's number, or nil,
---"not_purged" while an old version exists.
---@param name string
---@param module table<string, function>
---@param node? string|{node?: string} # default: the caller's node (node "a" outside processes)
---@return crashlab.Module|nil handle
---@return integer|"not_purged" version
function code.load(name, module, node) end
---A handle on module `name`, loaded or not yet.
---@param name string
---@return crashlab.Module
function code.module(name) end
---Kills the processes that run the old version (reason killed) and removes it.
---@param name string
---@param node? string|{node?: string}
---@return boolean killed # whether any process was killed
function code.purge(name, node) end
---Removes the old version unless a process runs it.
---@param name string
---@param node? string|{node?: string}
---@return boolean done # false while a process runs the old version
function code.soft_purge(name, node) end
---Makes the current version old.
---@param name string
---@param node? string|{node?: string}
---@return boolean done # false without a current version, or with an old one
function code.delete(name, node) end
---The current version's number, or nil.
---@param name string
---@param node? string|{node?: string}
---@return integer|nil
function code.which(name, node) end
---@param name string
---@param node? string|{node?: string}
---@return crashlab.Versions
function code.versions(name, node) end
---spawn(Module, Function, Args): a process running function `fname` of the current version.
---@param name string
---@param fname string
---@param args? any[]
---@return crashlab.Pid
function code.spawn(name, fname, args) end
---erlang:check_process_code: whether the process runs the old version of module `name`.
---@param pid crashlab.Pid
---@param name string
---@return boolean
function code.check_process(pid, name) end
---The same, linked to the caller (a process).
---@param name string
---@param fname string
---@param args? any[]
---@return crashlab.Pid
function code.spawn_link(name, fname, args) end
---The same, monitored by the caller (a process).
---@param name string
---@param fname string
---@param args? any[]
---@return crashlab.Pid
---@return crashlab.Ref
function code.spawn_monitor(name, fname, args) end
---spawn(Node, Module, Function, Args): a process on `node` running function `fname` of the
---current version of module `name` there (its spawn record names the module and version).
---Inside a process it waits for the other node's answer: nil and the reason (`noconnection`)
---when the node cannot be reached.
---@param node string
---@param name string
---@param fname string
---@param args? any[]
---@return crashlab.Pid|nil
---@return string? reason
function code.spawn_on(node, name, fname, args) end
---The same, linked to the caller (a process).
---@param node string
---@param name string
---@param fname string
---@param args? any[]
---@return crashlab.Pid|nil
---@return string? reason
function code.spawn_link_on(node, name, fname, args) end

---@class crashlab
---@field _ crashlab.Wildcard # the wildcard for receive patterns
---@field code crashlab.code   # hot code loading
---@field supervisor crashlab.supervisor # supervision trees
---@field server crashlab.server # gen_server-like servers
---@field sys crashlab.sys       # upgrading servers (suspend, change_code, resume)
---@field net crashlab.net     # the network between nodes
---@field global crashlab.global # names across nodes (Erlang's global)
---@field version string      # the crashlab version, for example "0.1.0"
local crashlab = {}

-- ---- The scenario -----------------------------------------------------------------------

---Declares the scenario. Call it first, before any process, timer or property.
---```lua
---cl.scenario { name = "pool", seed = 42, stop = "10s" }
---```
---@param spec crashlab.ScenarioSpec
function crashlab.scenario(spec) end

---Runs `fn` once at the absolute virtual time `time` (outside any process).
---@param time crashlab.Duration
---@param fn fun()
function crashlab.at(time, fn) end

---Runs `fn` every `period`, the first time one period from now (outside any process).
---@param period crashlab.Duration
---@param fn fun()
function crashlab.every(period, fn) end

---Sends an exit signal from outside to a process or a registered name. The default reason
---`"kill"` cannot be trapped: the process dies with reason `"killed"`. Returns whether a live
---process was found.
---@param target crashlab.Dest
---@param reason? crashlab.Term
---@return boolean
function crashlab.kill(target, reason) end

-- ---- Properties -------------------------------------------------------------------------

---A property checked after every scheduler step; the run fails the first time it is false.
---@param name string
---@param fn fun(): boolean
function crashlab.always(name, fn) end

---A property that must become true by the absolute virtual time `deadline`. It is checked
---after every step until it holds, and at the deadline.
---@param name string
---@param deadline crashlab.Duration
---@param fn fun(): boolean
function crashlab.eventually(name, deadline, fn) end

---A property checked once, when the run ends without a failure.
---@param name string
---@param fn fun(): boolean
function crashlab.at_end(name, fn) end

-- ---- Observation (anywhere) ---------------------------------------------------------------

---Whether the process is alive.
---@param pid crashlab.Pid
---@return boolean
function crashlab.alive(pid) end

---The live processes of a node (default: the caller's, or "a"), in slot order; {} if it is down.
---@param node? string
---@return crashlab.Pid[]
function crashlab.processes(node) end

---What the runtime knows about a live process, or nil if it is dead.
---@param pid crashlab.Pid
---@return crashlab.Info?
function crashlab.info(pid) end

---For a process a supervisor starts: it counts as started when it calls `cl.init_ack()`, not
---when it first waits (OTP's proc_lib:init_ack), so calls during its start-up come first.
function crashlab.defer_ack() end

---Acknowledges the start now (after `cl.defer_ack()`); false when nobody waits for it.
---@return boolean
function crashlab.init_ack() end

---A value as Erlang prints it (~w): `cl.format({"EXIT", pid, "killed"})` is
---`"{'EXIT',<0.3.0>,killed}"`. Values that cannot be sent give their type name.
---@param value any
---@return string
function crashlab.format(value) end

---Every process exit so far, oldest first (the first 100,000), as a read-only array.
---@return crashlab.Exit[]
function crashlab.exits() end

---The registered names of a node (default: the caller's, or "a"), sorted.
---@param node? string
---@return string[]
function crashlab.registered(node) end

---Counts of the run's events by kind.
---@return crashlab.Counters
function crashlab.counters() end

---The virtual time now, in whole milliseconds.
---@return integer
function crashlab.now() end

---The pid registered as `name` on a node (default: the caller's, or "a"), or nil.
---@param name string
---@param node? string
---@return crashlab.Pid?
function crashlab.whereis(name, node) end

-- ---- Values -------------------------------------------------------------------------------

---Marks a table to be sent as a list (`[1, 2, 3]`) rather than a tuple. Returns the table.
---@generic T: table
---@param t T
---@return T|crashlab.List
function crashlab.list(t) end

---Wraps a string to be sent as a binary even if it is 255 bytes or shorter.
---@param s string
---@return crashlab.Bin
function crashlab.bin(s) end

-- ---- Processes ----------------------------------------------------------------------------

---Starts a process running `fn(...)`. The arguments are copied like a message.
---@param fn fun(...: any)
---@param ... crashlab.Term
---@return crashlab.Pid
function crashlab.spawn(fn, ...) end

---Like `spawn`, and links the new process to the caller. Only inside a process.
---@param fn fun(...: any)
---@param ... crashlab.Term
---@return crashlab.Pid
function crashlab.spawn_link(fn, ...) end

---Like `spawn`, and monitors the new process. Only inside a process.
---@param fn fun(...: any)
---@param ... crashlab.Term
---@return crashlab.Pid pid
---@return crashlab.Ref ref
function crashlab.spawn_monitor(fn, ...) end

---The calling process's pid. Only inside a process.
---@return crashlab.Pid
function crashlab.self() end

---Sends a copy of `msg` to a pid or a registered name. Sending to a dead pid does nothing;
---sending to a name nobody holds raises an error.
---@param dest crashlab.Dest
---@param msg crashlab.Term
function crashlab.send(dest, msg) end

---Takes the first message in the mailbox that matches `pattern` (any message when nil;
---`cl._` matches anything; a function is a predicate, called with each message in order
---until it returns true, and may not call `cl.*`), or waits for one. Returns nil when
---`timeout` passes first; without a timeout it waits forever. Only inside a process.
---@param pattern? crashlab.Term|fun(msg: any): boolean
---@param timeout? crashlab.Duration
---@return any msg
function crashlab.receive(pattern, timeout) end

---Lets `duration` of virtual time pass; messages wait in the mailbox. Only inside a process.
---@param duration crashlab.Duration
function crashlab.sleep(duration) end

---Links the caller to `pid` (both ways). Only inside a process. Raises "noproc" if `pid` is
---dead, unless the caller traps exits (it then receives {"EXIT", pid, "noproc"}).
---@param pid crashlab.Pid
function crashlab.link(pid) end

---Removes the link between the caller and `pid`. Only inside a process.
---@param pid crashlab.Pid
function crashlab.unlink(pid) end

---Monitors `pid`: when it ends, the caller receives {"DOWN", ref, "process", pid, reason}
---(at once, with reason "noproc", if it is already dead). Only inside a process.
---@param pid crashlab.Pid
---@return crashlab.Ref
function crashlab.monitor(pid) end

---Removes a monitor; with `flush`, also removes its DOWN message if it already arrived.
---Only inside a process.
---@param ref crashlab.Ref
---@param flush? boolean
function crashlab.demonitor(ref, flush) end

---Turns exit signals into {"EXIT", pid, reason} messages (true) or back (false). Returns the
---previous setting. Only inside a process.
---@param on boolean
---@return boolean previous
function crashlab.trap_exit(on) end

---`exit(reason)` ends the calling process with `reason`. `exit(pid, reason)` sends an exit
---signal to `pid` (from a process, or from outside when called in a callback).
---@overload fun(reason: crashlab.Term)
---@param pid crashlab.Pid
---@param reason crashlab.Term
function crashlab.exit(pid, reason) end

---Registers `name` for the calling process, or for `pid`. Raises if the name is taken, the
---process already has a name, or the name is "undefined".
---@param name string
---@param pid? crashlab.Pid
function crashlab.register(name, pid) end

---Removes a registered name. Raises if nobody holds it.
---@param name string
function crashlab.unregister(name) end

-- ---- Nodes ------------------------------------------------------------------------------

---@class crashlab.NodeSpec
---@field boot? fun() # runs as a process on the node now and after every restart_node
---@field skew? crashlab.Duration # the node's clock is ahead by this much ("-2s": behind)
---@field drift? number # the clock runs at 1 + drift times virtual time (0.001: 1 ms/s fast)

---`cl.node()`: this node's name; `cl.node(pid)`: the name of pid's node; `cl.node(name, spec)`:
---declares a node (node "a" always exists) and returns its name.
---@param name_or_pid? string|crashlab.Pid
---@param spec? crashlab.NodeSpec
---@return string
function crashlab.node(name_or_pid, spec) end

---The names of every node, in the order they were declared.
---@return string[]
function crashlab.nodes() end

---Whether the node is up (not crashed).
---@param node string
---@return boolean
function crashlab.node_up(node) end

---Spawns `fn(...)` on another node (Erlang's spawn(Node, Fun)); inside a process it waits for
---the other node's answer. Returns the pid, or nil and the reason ("noconnection").
---@param node string
---@param fn function
---@return crashlab.Pid?, string?
function crashlab.spawn_on(node, fn, ...) end

---spawn_on, linked to the caller.
---@param node string
---@param fn function
---@return crashlab.Pid?, string?
function crashlab.spawn_link_on(node, fn, ...) end

---spawn_on, monitored by the caller: returns the pid and the monitor reference.
---@param node string
---@param fn function
---@return crashlab.Pid?, crashlab.Ref|string
function crashlab.spawn_monitor_on(node, fn, ...) end

---monitor_node(Node, Flag): {"nodedown", node} when the connection to it is lost (at once if
---it cannot be made). Each true adds one monitor, each false removes one.
---@param node string
---@param flag? boolean
function crashlab.monitor_node(node, flag) end

---net_kernel:monitor_nodes(Flag): {"nodeup", node} and {"nodedown", node} for every node.
---@param flag? boolean
function crashlab.monitor_nodes(flag) end

---The node crashes: every process on it is gone at once; the others notice by the net tick.
---Returns false if it was down already.
---@param node string
---@return boolean
function crashlab.crash_node(node) end

---A crashed node boots again, fresh (new pids), and its boot function runs. False if it is up.
---@param node string
---@return boolean
function crashlab.restart_node(node) end

---The node's clock jumps by `skew` and runs at 1 + `drift` from now on.
---@param node string
---@param spec {skew?: crashlab.Duration, drift?: number}
function crashlab.clock(node, spec) end

---Links between nodes of different groups go down, both ways: `cl.partition({"a"}, {"b","c"})`.
---@param ... string[]
function crashlab.partition(...) end

---Every link to and from the node goes down.
---@param node string
function crashlab.isolate(node) end

---The link from `from` to `to` goes down, one way only (an asymmetric partition).
---@param from string
---@param to string
function crashlab.cut(from, to) end

---Every link is up again; connections come back with the next message.
function crashlab.heal() end

---Process fault: the process is not scheduled until `cl.resume(pid)`; its messages wait.
---@param pid crashlab.Pid
function crashlab.pause(pid) end

---Ends `cl.pause`: the process runs what it was held for.
---@param pid crashlab.Pid
function crashlab.resume(pid) end

---Process fault: each step of the process runs `extra` later than it could (virtual CPU time
---per message); `cl.slow(pid, 0)` makes it normal again.
---@param pid crashlab.Pid
---@param extra crashlab.Duration
function crashlab.slow(pid, extra) end

---Kills one live process drawn from the seed's "fault" stream, among those of `node` (default:
---every node that is up) for which `filter(pid)` is true. Returns its pid, or nil if none.
---@param spec? {node?: string, filter?: fun(pid: crashlab.Pid): boolean, reason?: crashlab.Term}
---@return crashlab.Pid?
function crashlab.kill_random(spec) end

---A fault plan in the file itself, the form `crashlab run FILE --faults PLAN` takes (docs/sweeps.md,
---"Fault plans"): the scenario's own faults are then not made, the plan's are, each at its time.
---At the top level, before any fault is made and any process runs; ignored when --faults is given.
---@param plan {faults: table[], scenario?: string, seed?: integer}
function crashlab.fault_plan(plan) end

---@class crashlab.Chaos
---@field from? crashlab.Duration # start of the storm (default: now)
---@field to? crashlab.Duration # its end (default: never)
---@field kills? number # random process kills per second (see `filter`)
---@field partitions? number # per second: a random node isolated, healed after heal_after
---@field node_crashes? number # per second: a random node crashed, restarted after restart_after
---@field latency_spikes? number # per second: the default latency becomes `spike` for spike_for
---@field heal_after? crashlab.Duration # default "5s"
---@field restart_after? crashlab.Duration # default "5s"
---@field spike? crashlab.Duration|crashlab.Latency # default "200ms"
---@field spike_for? crashlab.Duration # default "1s"
---@field spare? string[] # nodes never isolated or crashed
---@field filter? fun(pid: crashlab.Pid): boolean # which processes kills may pick

---A random fault plan: each kind of fault arrives as a Poisson process of the given rate within
---the window, drawn from the seed's "fault" stream: every seed is a different storm, and the
---same seed the same one.
---@param spec crashlab.Chaos
function crashlab.chaos(spec) end

---@class crashlab.global
local global = {}
---Registers `pid` (default: the caller) as `name` across the cluster; false if the name is
---taken. `resolve(name, pid1, pid2)` returns the pid to keep when two registrations meet after a
---partition (default: the smaller pid is kept and the other process killed). From a process.
---@param name string
---@param pid? crashlab.Pid
---@param resolve? fun(name: string, pid1: crashlab.Pid, pid2: crashlab.Pid): crashlab.Pid
---@return boolean
function global.register(name, pid, resolve) end
---Removes the name everywhere. From a process.
---@param name string
function global.unregister(name) end
---The pid registered as `name` in the caller's node's copy of the table, or nil.
---@param name string
---@return crashlab.Pid?
function global.whereis(name) end
---Sends to the process registered as `name`; raises if there is none. Returns its pid.
---@param name string
---@param msg crashlab.Term
---@return crashlab.Pid
function global.send(name, msg) end
---The names in the caller's node's copy, sorted.
---@return string[]
function global.registered() end

---@class crashlab.Latency
---@field dist "constant"|"uniform"|"normal"|"exponential"|"pareto"
---@field value? crashlab.Duration
---@field min? crashlab.Duration
---@field max? crashlab.Duration
---@field mean? crashlab.Duration
---@field sd? crashlab.Duration
---@field scale? crashlab.Duration
---@field shape? number
---@field cap? crashlab.Duration

---@class crashlab.Link
---@field latency? crashlab.Duration|crashlab.Latency
---@field loss? number # datagram mode: probability a message is lost
---@field dup? number # datagram mode: probability a message arrives twice
---@field bandwidth? integer # bytes per second, 0 for unlimited
---@field mode? "connection"|"datagram"
---@field down? boolean
---@field both? boolean # net.link: both directions

---@class crashlab.net
local net = {}
---The link of every pair of nodes without settings of its own.
---@param link crashlab.Link
function net.default(link) end
---The link from `from` to `to` (both ways with both = true); fields not given are kept.
---@param from string
---@param to string
---@param link crashlab.Link
function net.link(from, to, link) end
---The link between a and b flaps: up for `up`, down for `down`, ... until `stop`.
---@param a string
---@param b string
---@param spec {up: crashlab.Duration, down: crashlab.Duration, stop?: crashlab.Duration}
function net.flaky(a, b, spec) end
---The net tick time (default "60s"): a connection silent that long is lost.
---@param time crashlab.Duration
function net.tick(time) end
---Messages lost so far and in flight now.
---@return {lost: integer, in_flight: integer}
function net.stats() end
---The link in force from `from` to `to`.
---@param from string
---@param to string
---@return {down: boolean, mode: string, loss: number, dup: number, bandwidth: integer}
function net.get(from, to) end
---Whether node `a` believes it is connected to `b`.
---@param a string
---@param b string
---@return boolean
function net.connected(a, b) end
net.partition = crashlab.partition
net.isolate = crashlab.isolate
net.cut = crashlab.cut
net.heal = crashlab.heal

---The module, also preset as the global `cl` in every scenario.
---@type crashlab
cl = crashlab

return crashlab
