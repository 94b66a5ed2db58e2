%% Erlang side of the restart benchmark (compare with tests/bench/bench_restart and the
%% bench_lua restart workload).
%%
%% A one_for_one supervisor with N workers (intensity KILLS, period 1 s, so it never gives up).
%% A killer process kills a random worker, waits until the supervisor has restarted it (the new
%% worker tells the killer it started, as it did at the first start), and does it again, KILLS
%% times. Workers start with proc_lib:start_link, acknowledged after init (as crashlab's
%% supervisor children are). Figure: restarts per second of wall time.
%%
%% Run:  erl +S 1 -noshell -pa DIR -run restart main N KILLS
%% Prints:  restart_N value=<restarts/s> unit=restarts/s
-module(restart).
-behaviour(supervisor).
-export([main/1, init/1, worker/2, worker_init/3]).

main(Args) ->
    try
        [N, Kills] = [list_to_integer(A) || A <- Args],
        run(N, Kills),
        erlang:halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "restart: ~p:~p~n~p~nusage: restart main N KILLS~n",
                      [Class, Reason, Stack]),
            erlang:halt(2)
    end.

init({N, Kills, Killer}) ->
    Specs = [#{id => I, start => {restart, worker, [I, Killer]}} || I <- lists:seq(1, N)],
    {ok, {#{strategy => one_for_one, intensity => Kills, period => 1}, Specs}}.

worker(I, Killer) -> proc_lib:start_link(restart, worker_init, [self(), I, Killer]).

worker_init(Parent, I, Killer) ->
    Killer ! {started, I, self()},
    proc_lib:init_ack(Parent, {ok, self()}),
    receive never -> ok end.

run(N, Kills) ->
    %% No supervisor reports on the terminal: each restart would print one (crashlab's are
    %% trace records, not text).
    logger:set_primary_config(level, emergency),
    Main = self(),
    Killer = spawn_link(fun() -> killer(Main, N, Kills) end),
    {ok, _Sup} = supervisor:start_link(restart, {N, Kills, Killer}),
    receive {done, Micros} ->
        io:format("# erlang restart n=~b kills=~b seconds=~.3f otp=~s schedulers=~b~n",
                  [N, Kills, Micros / 1.0e6, erlang:system_info(otp_release),
                   erlang:system_info(schedulers)]),
        io:format("restart_~b value=~.1f unit=restarts/s~n", [N, Kills / (Micros / 1.0e6)])
    end.

killer(Main, N, Kills) ->
    Pids = collect(N, #{}),
    rand:seed(exsss, {1, 2, 3}),
    T0 = erlang:monotonic_time(microsecond),
    kill_loop(Kills, N, Pids),
    T1 = erlang:monotonic_time(microsecond),
    Main ! {done, T1 - T0}.

collect(0, Pids) -> Pids;
collect(K, Pids) -> receive {started, I, Pid} -> collect(K - 1, Pids#{I => Pid}) end.

kill_loop(0, _, _) -> ok;
kill_loop(K, N, Pids) ->
    I = rand:uniform(N),
    exit(maps:get(I, Pids), kill),
    receive {started, I, New} -> kill_loop(K - 1, N, Pids#{I => New}) end.
