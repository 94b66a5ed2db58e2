%% one_for_all: the others are terminated in reverse start order, then all start again.
-module(one_for_all).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_all, intensity => 3, period => 5},
                   [#{id => w1, start => {conf, worker, [w1, plain]}},
                    #{id => w2, start => {conf, worker, [w2, plain]}},
                    #{id => w3, start => {conf, worker, [w3, plain]}}]),
    Ref = conf:watch(Sup),
    conf:kill(w2, boom),
    conf:finish(Ref).
