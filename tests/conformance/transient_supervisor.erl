%% A transient child supervisor that gives up (its reason is shutdown) is not restarted:
%% the outer supervisor lives on without it.
-module(transient_supervisor).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Inner = #{id => inner, type => supervisor, shutdown => infinity, restart => transient,
              start => {conf, sup_start, [#{strategy => one_for_one, intensity => 0, period => 5},
                                          [#{id => w, start => {conf, worker, [w, plain]}}]]}},
    Sup = conf:sup(#{strategy => one_for_one, intensity => 1, period => 5},
                   [#{id => first, start => {conf, worker, [first, plain]}}, Inner]),
    Ref = conf:watch(Sup),
    conf:kill(w, boom),
    conf:line("children ~w", [[Id || {Id, _, _, _} <- supervisor:which_children(Sup)]]),
    conf:finish(Ref).
