%% Helpers shared by the conformance cases (each case.erl has a twin case.lua; both print the
%% same canonical log, "LOG ..." lines, which tests/conformance/check.cmake compares).
%%
%% The log has one writer, the logger process, so its order is the order in which the logger
%% received its messages: a worker's start (a synchronous call, made before the worker
%% acknowledges its start to its supervisor), the DOWN of every worker it watches, and lines
%% from the driver. Every pair of events in a case is causally ordered, so Erlang/OTP and
%% crashlab must agree on the whole log. The driver never waits for wall time to pass before
%% its next step: kill/2 and stop/2 wait until the worker's DOWN is logged and its supervisor
%% has handled the exit (a restart logs the new start before the supervisor answers anything
%% else), and finish/1 asks the supervisor itself whether it is alive and waits until the DOWN
%% of every worker that has died is logged; downed/1 waits for one worker's DOWN to be logged
%% and sync/1 for a worker to have handled what was sent to it before. So a loaded machine
%% cannot reorder the log: no case waits for wall time (only shutdown_timeout's 300 ms, the
%% timeout under test).
-module(conf).
-export([load/1]).
-export([fail_now/0, logger/0, line/1, line/2, worker/2, worker_init/3, sup/2, sup_start/2, init/1, kill/2, stop/2,
         downed/1, sync/1, watch/1, finish/1]).

logger() ->
    Self = self(),
    spawn(fun() -> register(conflog, self()), Self ! ready, loop(#{}, []) end),
    receive ready -> ok end.

%% Mons: monitor reference => {Id, Pid}; Waiters: {Pid, From} to tell once Pid's DOWN is logged.
loop(Mons, Waiters) ->
    receive
        {start, Id, Pid, From} ->
            Ref = erlang:monitor(process, Pid),
            io:format("LOG start ~s~n", [Id]),
            From ! logged,
            loop(Mons#{Ref => {Id, Pid}}, Waiters);
        {'DOWN', Ref, process, Pid, Reason} ->
            io:format("LOG down ~s ~w~n", [element(1, maps:get(Ref, Mons)), Reason]),
            [W ! {down_logged, Pid} || {P, W} <- Waiters, P =:= Pid],
            loop(maps:remove(Ref, Mons), [X || {P, _} = X <- Waiters, P =/= Pid]);
        {await, Pid, From} -> % answered once Pid's DOWN is logged (at once if it was)
            case [R || {R, {_, P}} <- maps:to_list(Mons), P =:= Pid] of
                [] -> From ! {down_logged, Pid}, loop(Mons, Waiters);
                _ -> loop(Mons, [{Pid, From} | Waiters])
            end;
        {line, Text} ->
            io:format("LOG ~s~n", [Text]),
            loop(Mons, Waiters);
        {dead_unlogged, From} -> % the watched workers that are dead, their DOWN not logged yet
            From ! {dead_unlogged, [P || {_, P} <- maps:values(Mons), not is_process_alive(P)]},
            loop(Mons, Waiters);
        {flush, From} ->
            From ! flushed,
            loop(Mons, Waiters)
    end.

line(Text) -> conflog ! {line, Text}.
line(Fmt, Args) -> line(lists:flatten(io_lib:format(Fmt, Args))).

%% A worker: start = {conf, worker, [Id, Mode]}; Mode plain | stubborn (traps exits, ignores
%% shutdown) | fail (its init fails with init_failed).
worker(Id, Mode) -> proc_lib:start_link(conf, worker_init, [self(), Id, Mode]).

worker_init(Parent, Id, Mode) ->
    case Mode of fail -> exit(init_failed); _ -> ok end,
    %% fail_later: starts the first time, then fails once the driver says so (fail_now/0).
    case Mode =:= fail_later andalso persistent_term:get(conf_fail, false) of
        true -> line("~s start attempt fails", [Id]), exit(init_failed);
        false -> ok
    end,
    register(Id, self()),
    conflog ! {start, Id, self(), self()},
    receive logged -> ok end,
    case Mode of stubborn -> process_flag(trap_exit, true); _ -> ok end,
    proc_lib:init_ack(Parent, {ok, self()}),
    work(Id).

work(Id) ->
    receive
        {stop, Reason} -> exit(Reason);
        hello -> line("~s got hello", [Id]), work(Id);
        {sync, From} -> From ! {synced, Id}, work(Id);
        _ -> work(Id)
    end.

%% A supervisor from flags and child specs (supervisor's own callback module is this one).
sup(Flags, Specs) ->
    {ok, Pid} = supervisor:start_link(conf, {Flags, Specs}),
    Pid.
%% A child supervisor's start function.
sup_start(Flags, Specs) -> supervisor:start_link(conf, {Flags, Specs}).
init({Flags, Specs}) -> {ok, {Flags, Specs}}.

kill(Id, Reason) ->
    line("kill ~s ~w", [Id, Reason]),
    Pid = whereis(Id),
    Parent = parent(Pid),
    exit(Pid, Reason),
    settle(Pid, Parent).

stop(Id, Reason) ->
    line("stop ~s ~w", [Id, Reason]),
    Pid = whereis(Id),
    Parent = parent(Pid),
    Id ! {stop, Reason},
    settle(Pid, Parent).

%% The supervisor that started a worker (proc_lib's first ancestor).
parent(Pid) ->
    {dictionary, D} = process_info(Pid, dictionary),
    case proplists:get_value('$ancestors', D) of
        [P | _] when is_pid(P) -> P;
        [Name | _] -> whereis(Name)
    end.

%% Waits for Pid's exit, for the logger to log its DOWN, and for its supervisor to handle it
%% (a supervisor handles its messages in order, and the child's EXIT came before this request).
settle(Pid, Parent) ->
    Ref = erlang:monitor(process, Pid),
    receive {'DOWN', Ref, process, _, _} -> ok end,
    downed(Pid),
    quiet(Parent),
    ok.

%% Waits until Sup has handled everything queued for it, including the retries it sends itself
%% (a restart that failed is tried again by a message to itself): alive, or dead.
quiet(Sup) ->
    case catch sys:get_state(Sup, 60000) of
        {'EXIT', _} -> dead;
        _ ->
            %% Idle: waiting in gen_server's own loop with nothing queued (a retry it sent
            %% itself may already be taken, and then it is not in that loop).
            case process_info(Sup, [message_queue_len, status, current_function]) of
                [{_, 0}, {_, waiting}, {_, {gen_server, loop, _}}] -> alive;
                undefined -> dead;
                _ -> quiet(Sup)
            end
    end.

%% Waits until the logger has logged the DOWN of Pid, a worker that is dead or dying.
downed(Pid) ->
    conflog ! {await, Pid, self()},
    receive {down_logged, Pid} -> ok end.

%% Waits until the worker registered as Id has handled every message sent to it before (what
%% it logs for them reaches the logger before anything the caller logs next).
sync(Id) ->
    Id ! {sync, self()},
    receive {synced, Id} -> ok end.

%% Waits until the DOWN of every watched worker that is dead now is logged.
settle_all() ->
    conflog ! {dead_unlogged, self()},
    receive {dead_unlogged, Pids} -> lists:foreach(fun downed/1, Pids) end.

fail_now() -> persistent_term:put(conf_fail, true).

watch(Sup) ->
    put(conf_sup, Sup),
    erlang:monitor(process, Sup).

%% The supervisor is alive if it answers a request queued after everything the case set off;
%% if it does not, its DOWN is certain to come.
finish(Ref) ->
    case get(conf_sup) of
        undefined -> settle_all(), line("sup alive");
        Sup ->
            case quiet(Sup) of
                dead ->
                    receive {'DOWN', Ref, process, _, Reason} -> ok end,
                    settle_all(),
                    line("sup down ~w", [Reason]);
                alive -> settle_all(), line("sup alive")
            end
    end,
    conflog ! {flush, self()},
    receive flushed -> ok end,
    halt().

%% Compiles module source text (forms ending in ". ") to Mod.beam beside conf.beam and loads
%% it with code:load_file, as a release upgrade would: {module, Mod}, or {error, not_purged}
%% while an old version exists (the code cases; crashlab's twin is cl.code.load).
%% code:load_binary is not used: it purges the old version itself, killing what runs it.
%% The file is removed after the load (see below).
load(Src) ->
    {ok, Tokens, _} = erl_scan:string(Src),
    {ok, Mod, Bin} = compile:forms(forms(Tokens, [], [])),
    Dir = filename:dirname(code:which(conf)),
    Beam = filename:join(Dir, atom_to_list(Mod) ++ ".beam"),
    ok = file:write_file(Beam, Bin),
    Result = code:load_file(Mod),
    %% No file left for the error handler to load again by itself when a call finds no
    %% current version: such a call is undef, as it is in crashlab.
    ok = file:delete(Beam),
    Result.

forms([], [], Acc) -> lists:reverse(Acc);
forms([{dot, _} = Dot | Rest], Cur, Acc) ->
    {ok, Form} = erl_parse:parse_form(lists:reverse([Dot | Cur])),
    forms(Rest, [], [Form | Acc]);
forms([T | Rest], Cur, Acc) -> forms(Rest, [T | Cur], Acc).
