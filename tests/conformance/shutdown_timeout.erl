%% Shutdown by timeout: a child that traps exits and ignores shutdown is killed when its
%% 300 ms run out (and brutal_kill kills at once: see brutal_kill.erl).
-module(shutdown_timeout).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_all, intensity => 0, period => 5},
                   [#{id => w1, start => {conf, worker, [w1, plain]}},
                    #{id => w2, start => {conf, worker, [w2, stubborn]}, shutdown => 300},
                    #{id => w3, start => {conf, worker, [w3, plain]}}]),
    Ref = conf:watch(Sup),
    conf:kill(w1, boom),
    conf:finish(Ref).
