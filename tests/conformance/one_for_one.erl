%% one_for_one: only the child that exited is restarted.
-module(one_for_one).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_one, intensity => 3, period => 5},
                   [#{id => w1, start => {conf, worker, [w1, plain]}},
                    #{id => w2, start => {conf, worker, [w2, plain]}},
                    #{id => w3, start => {conf, worker, [w3, plain]}}]),
    Ref = conf:watch(Sup),
    conf:kill(w2, boom),
    conf:kill(w1, crash),
    conf:finish(Ref).
