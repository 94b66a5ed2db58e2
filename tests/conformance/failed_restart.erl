%% A restart that fails counts as a restart again: the supervisor retries until its intensity
%% is exceeded, then gives up.
-module(failed_restart).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_one, intensity => 3, period => 5},
                   [#{id => w1, start => {conf, worker, [w1, plain]}},
                    #{id => w2, start => {conf, worker, [w2, fail_later]}}]),
    Ref = conf:watch(Sup),
    conf:fail_now(),
    conf:kill(w2, boom),
    conf:finish(Ref).
