%% Erlang side of the spawn/memory benchmark (compare with tests/bench/bench_spawn).
%%
%% Spawns COUNT idle processes, each parked in `receive`, and reports the memory per process:
%%   spawn_bytes_alloc  from erlang:memory(processes), after minus before, divided by COUNT
%%   spawn_bytes_rss    from the OS peak resident set size (VmHWM in /proc/self/status; the
%%                      beam process is self), after minus before, divided by COUNT
%% Then kills them.
%%
%% The spawner keeps no list of pids (that would be counted in memory(processes) too): each
%% process holds the pid of the one spawned before it, and `stop` is forwarded down that chain.
%%
%% Run:  erl +S 1 +P <more than COUNT> -noshell -pa DIR -run spawn main COUNT
%% (the default process limit is 262144, so 1,000,000 needs +P).
%% Prints figure lines (see tests/bench/run for the protocol):
%%   spawn_bytes_alloc value=<bytes> unit=bytes/proc
%%   spawn_bytes_rss value=<bytes> unit=bytes/proc      (only if /proc/self/status is readable)
%% plus informational lines starting with '#'.
-module(spawn).
-export([main/1, idle/1]).

main(Args) ->
    try
        [Count] = [list_to_integer(A) || A <- Args],
        true = Count >= 1,
        run(Count),
        erlang:halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "spawn: ~p:~p~n~p~nusage: spawn main COUNT~n",
                      [Class, Reason, Stack]),
            erlang:halt(1)
    end.

run(Count) ->
    Limit = erlang:system_info(process_limit),
    (Count + 100 =< Limit) orelse
        error({process_limit_too_low, Limit, "pass +P " ++ integer_to_list(Count * 2)}),
    garbage_collect(),
    Status0 = proc_status(),
    Mem0 = erlang:memory(processes),
    Used0 = erlang:memory(processes_used),
    T0 = erlang:monotonic_time(),
    First = spawn(?MODULE, idle, [none]),
    Last = spawn_n(Count - 1, First),
    wait_parked(Last),
    T1 = erlang:monotonic_time(),
    garbage_collect(),
    Mem1 = erlang:memory(processes),
    Used1 = erlang:memory(processes_used),
    Status1 = proc_status(),
    Ns = erlang:convert_time_unit(T1 - T0, native, nanosecond),
    io:format("# erlang spawn count=~b spawn_ns=~b processes_before=~b processes_after=~b "
              "processes_used_per_proc=~.1f otp=~s~n",
              [Count, Ns, Mem0, Mem1, (Used1 - Used0) / Count,
               erlang:system_info(otp_release)]),
    io:format("spawn_bytes_alloc value=~.1f unit=bytes/proc~n", [(Mem1 - Mem0) / Count]),
    case {kb(Status0, <<"VmHWM">>), kb(Status1, <<"VmHWM">>),
          kb(Status0, <<"VmRSS">>), kb(Status1, <<"VmRSS">>)} of
        {H0, H1, R0, R1} when is_integer(H0), is_integer(H1), is_integer(R0), is_integer(R1) ->
            io:format("# erlang spawn vmhwm_kb_before=~b vmhwm_kb_after=~b "
                      "vmrss_kb_before=~b vmrss_kb_after=~b rss_per_proc=~.1f~n",
                      [H0, H1, R0, R1, (R1 - R0) * 1024 / Count]),
            io:format("spawn_bytes_rss value=~.1f unit=bytes/proc~n",
                      [(H1 - H0) * 1024 / Count]);
        _ ->
            io:format("# erlang spawn: /proc/self/status not readable, no RSS figure~n")
    end,
    %% Kill them: stop runs down the chain from the last process to the first.
    Ref = erlang:monitor(process, First),
    Last ! stop,
    receive {'DOWN', Ref, process, First, _} -> ok end,
    io:format("# erlang spawn killed count=~b process_count_now=~b~n",
              [Count, erlang:system_info(process_count)]),
    ok.

%% Tail-recursive, so the spawner's own heap does not grow with Count.
spawn_n(0, Prev) -> Prev;
spawn_n(K, Prev) -> spawn_n(K - 1, spawn(?MODULE, idle, [Prev])).

idle(Prev) ->
    receive
        stop when Prev =:= none -> ok;
        stop -> Prev ! stop, ok
    end.

%% Fresh processes sit in the run queue until they first run. The run queue is FIFO, so once
%% the last one spawned is waiting in receive, all of them are.
wait_parked(Pid) ->
    case erlang:process_info(Pid, status) of
        {status, waiting} -> ok;
        _ -> timer:sleep(10), wait_parked(Pid)
    end.

proc_status() ->
    case file:read_file("/proc/self/status") of
        {ok, Bin} -> Bin;
        _ -> <<>>
    end.

%% Value in kB of a "Key:   123 kB" line, or undefined.
kb(Status, Key) ->
    case re:run(Status, <<"(?m)^", Key/binary, ":\\s*([0-9]+)\\s*kB">>,
                [{capture, all_but_first, list}]) of
        {match, [V]} -> list_to_integer(V);
        nomatch -> undefined
    end.
