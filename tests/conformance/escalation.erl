%% Escalation through two levels: the inner supervisor (intensity 0) gives up at its child's
%% first exit; the outer one restarts it once, and gives up at the second time.
-module(escalation).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Inner = #{id => inner, type => supervisor, shutdown => infinity,
              start => {conf, sup_start, [#{strategy => one_for_one, intensity => 0, period => 5},
                                          [#{id => w, start => {conf, worker, [w, plain]}}]]}},
    Sup = conf:sup(#{strategy => one_for_one, intensity => 1, period => 5},
                   [#{id => first, start => {conf, worker, [first, plain]}}, Inner]),
    Ref = conf:watch(Sup),
    conf:kill(w, boom),
    conf:kill(w, boom),
    conf:finish(Ref).
