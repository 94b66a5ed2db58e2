%% Intensity: a third restart within the period is one too many; the supervisor terminates
%% the others in reverse order and exits with shutdown.
-module(intensity).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_one, intensity => 2, period => 5},
                   [#{id => w1, start => {conf, worker, [w1, plain]}},
                    #{id => w2, start => {conf, worker, [w2, plain]}},
                    #{id => w3, start => {conf, worker, [w3, plain]}}]),
    Ref = conf:watch(Sup),
    conf:kill(w2, boom),
    conf:kill(w2, boom),
    conf:kill(w1, boom),
    conf:finish(Ref).
