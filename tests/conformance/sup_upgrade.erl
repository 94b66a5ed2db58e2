%% A supervisor restarts a child into new code after an upgrade. The child is named by module
%% and function ({kv, start_link, []}), so each start calls the current version's start_link.
%% While version 1 runs, version 2 is loaded: the running server's next callback is version 2's
%% (gen_server calls its callbacks fully qualified) although its init was version 1's; once it
%% is killed, the supervisor restarts it with version 2's start_link and init.
-module(sup_upgrade).
-export([main/0]).

src(V) ->
    Vs = integer_to_list(V),
    "-module(kv). -behaviour(gen_server).
     -export([start_link/0, init/1, handle_call/3, handle_cast/2]).
     start_link() -> conf:line(\"kv v" ++ Vs ++ " start_link\"),
                     gen_server:start_link({local, kv}, kv, [], []).
     init([]) -> conf:line(\"kv v" ++ Vs ++ " init\"), {ok, init_v" ++ Vs ++ "}.
     handle_call(vsn, _From, S) -> {reply, {v" ++ Vs ++ ", S}, S}.
     handle_cast(_, S) -> {noreply, S}. ".

load(V) ->
    {module, kv} = conf:load(src(V)),
    conf:line("load v~w", [V]).

vsn() -> conf:line("vsn ~w", [gen_server:call(kv, vsn)]).

main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    load(1),
    Sup = conf:sup(#{strategy => one_for_one, intensity => 3, period => 10},
                   [#{id => kv, start => {kv, start_link, []}}]),
    Ref = conf:watch(Sup),
    vsn(),
    load(2),
    vsn(),
    conf:kill(kv, kill),
    vsn(),
    code:purge(kv),
    load(3),
    conf:kill(kv, boom),
    vsn(),
    conf:finish(Ref).
