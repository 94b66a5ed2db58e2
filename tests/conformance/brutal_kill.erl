%% brutal_kill: the child is killed at once, trapping or not.
-module(brutal_kill).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_all, intensity => 0, period => 5},
                   [#{id => w1, start => {conf, worker, [w1, plain]}},
                    #{id => w2, start => {conf, worker, [w2, stubborn]}, shutdown => brutal_kill},
                    #{id => w3, start => {conf, worker, [w3, plain]}}]),
    Ref = conf:watch(Sup),
    conf:kill(w1, boom),
    conf:finish(Ref).
