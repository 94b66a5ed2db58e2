%% rest_for_one: the children started after the one that exited restart with it.
-module(rest_for_one).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => rest_for_one, intensity => 3, period => 5},
                   [#{id => w1, start => {conf, worker, [w1, plain]}},
                    #{id => w2, start => {conf, worker, [w2, plain]}},
                    #{id => w3, start => {conf, worker, [w3, plain]}},
                    #{id => w4, start => {conf, worker, [w4, plain]}}]),
    Ref = conf:watch(Sup),
    conf:kill(w2, boom),
    conf:kill(w4, boom),
    conf:finish(Ref).
