%% one_for_all with a child that fails to restart: the cascade stops at it, is retried (each
%% attempt counts), and the supervisor gives up when intensity is exceeded.
-module(failed_cascade).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_all, intensity => 3, period => 5},
                   [#{id => w1, start => {conf, worker, [w1, plain]}},
                    #{id => w2, start => {conf, worker, [w2, fail_later]}},
                    #{id => w3, start => {conf, worker, [w3, plain]}}]),
    Ref = conf:watch(Sup),
    conf:fail_now(),
    conf:kill(w1, boom),
    conf:finish(Ref).
