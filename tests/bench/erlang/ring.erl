%% Erlang side of the ring benchmark (compare with tests/bench/bench_ring).
%%
%% N processes form a ring: P1 -> P2 -> ... -> PN -> P1. A token (a small integer holding the
%% number of hops left) goes around the ring M times, so N*M messages are delivered between
%% ring processes. Only the passing is timed: the ring is spawned and a warm-up round is run
%% (so every process has run once and is parked in receive) before the clock starts.
%%
%% Run:  erl +S 1 -noshell -pa DIR -run ring main N M
%% Prints one figure line (see tests/bench/run for the protocol):
%%   ring_<N>x<M> value=<msgs per second> unit=msgs/s
%% plus informational lines starting with '#'.
-module(ring).
-export([main/1, node_init/1, node_loop/2]).

main(Args) ->
    try
        [N, M] = [list_to_integer(A) || A <- Args],
        true = N >= 1 andalso M >= 1,
        run(N, M),
        erlang:halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "ring: ~p:~p~n~p~nusage: ring main N M~n",
                      [Class, Reason, Stack]),
            erlang:halt(1)
    end.

run(N, M) ->
    Main = self(),
    %% The tail is spawned first and learns its successor (the head) once the head exists.
    Tail = spawn(?MODULE, node_init, [Main]),
    Head = spawn_chain(N - 1, Tail, Main),
    Tail ! {next, Head, Main},
    receive {ready, Tail} -> ok end,
    %% Warm-up: one round, untimed.
    pass(Head, N),
    garbage_collect(),
    Hops = N * M,
    T0 = erlang:monotonic_time(),
    pass(Head, Hops),
    T1 = erlang:monotonic_time(),
    Ns = erlang:convert_time_unit(T1 - T0, native, nanosecond),
    Rate = Hops * 1.0e9 / max(Ns, 1),
    io:format("# erlang ring n=~b m=~b msgs=~b elapsed_ns=~b otp=~s schedulers=~b~n",
              [N, M, Hops, Ns, erlang:system_info(otp_release),
               erlang:system_info(schedulers_online)]),
    io:format("ring_~bx~b value=~.1f unit=msgs/s~n", [N, M, Rate]),
    Head ! stop,
    ok.

%% Send a token that makes Hops deliveries, wait until the last receiver reports back.
pass(Head, Hops) ->
    Head ! Hops,
    receive done -> ok end.

spawn_chain(0, Next, _Main) -> Next;
spawn_chain(K, Next, Main) ->
    P = spawn(?MODULE, node_loop, [Next, Main]),
    spawn_chain(K - 1, P, Main).

node_init(Main) ->
    receive
        {next, Next, Main} ->
            Main ! {ready, self()},
            node_loop(Next, Main)
    end.

node_loop(Next, Main) ->
    receive
        1 ->
            Main ! done,
            node_loop(Next, Main);
        T when is_integer(T) ->
            Next ! T - 1,
            node_loop(Next, Main);
        stop ->
            %% Tear the ring down: each node forwards stop once, then exits.
            Next ! stop,
            ok
    end.
