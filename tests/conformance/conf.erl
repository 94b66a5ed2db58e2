%% Helpers shared by the conformance cases (each case.erl has a twin case.lua; both print the
%% same canonical log, "LOG ..." lines, which tests/conformance/check.cmake compares).
%%
%% The log has one writer, the logger process, so its order is the order in which the logger
%% received its messages: a worker's start (a synchronous call, made before the worker
%% acknowledges its start to its supervisor), the DOWN of every worker it watches, and lines
%% from the driver. Every pair of events in a case is causally ordered, so Erlang/OTP and
%% crashlab must agree on the whole log.
-module(conf).
-export([fail_now/0, logger/0, line/1, line/2, worker/2, worker_init/3, sup/2, sup_start/2, init/1, kill/2, stop/2,
         sleep/1, watch/1, finish/1]).

logger() ->
    Self = self(),
    spawn(fun() -> register(conflog, self()), Self ! ready, loop(#{}) end),
    receive ready -> ok end.

loop(Mons) ->
    receive
        {start, Id, Pid, From} ->
            Ref = erlang:monitor(process, Pid),
            io:format("LOG start ~s~n", [Id]),
            From ! logged,
            loop(Mons#{Ref => Id});
        {'DOWN', Ref, process, _, Reason} ->
            io:format("LOG down ~s ~w~n", [maps:get(Ref, Mons), Reason]),
            loop(maps:remove(Ref, Mons));
        {line, Text} ->
            io:format("LOG ~s~n", [Text]),
            loop(Mons);
        {flush, From} ->
            From ! flushed,
            loop(Mons)
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
    exit(whereis(Id), Reason),
    sleep(100).

stop(Id, Reason) ->
    line("stop ~s ~w", [Id, Reason]),
    Id ! {stop, Reason},
    sleep(100).

sleep(Ms) -> timer:sleep(Ms).

fail_now() -> persistent_term:put(conf_fail, true).

watch(Sup) -> erlang:monitor(process, Sup).

finish(Ref) ->
    sleep(100),
    receive
        {'DOWN', Ref, process, _, Reason} -> line("sup down ~w", [Reason])
    after 0 -> line("sup alive")
    end,
    conflog ! {flush, self()},
    receive flushed -> ok end,
    halt().
