%% A cascade starts every child it keeps: one stopped by terminate_child and a transient one
%% that ended normally come back with the others; a temporary one is gone for good. Then a
%% cascade whose restart of d keeps failing is retried until the supervisor gives up.
-module(cascade_after_terminate).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_all, intensity => 5, period => 5},
                   [#{id => a, start => {conf, worker, [a, plain]}},
                    #{id => b, start => {conf, worker, [b, plain]}},
                    #{id => c, start => {conf, worker, [c, plain]}, restart => transient},
                    #{id => t, start => {conf, worker, [t, plain]}, restart => temporary},
                    #{id => d, start => {conf, worker, [d, fail_later]}}]),
    Ref = conf:watch(Sup),
    B = whereis(b),
    ok = supervisor:terminate_child(Sup, b),
    conf:downed(B),
    conf:stop(c, normal),
    conf:kill(a, boom),
    conf:line("children ~w", [[Id || {Id, _, _, _} <- supervisor:which_children(Sup)]]),
    conf:fail_now(),
    conf:kill(a, boom),
    conf:finish(Ref).
