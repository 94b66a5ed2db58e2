%% Restart types against normal, shutdown and abnormal exits: permanent always restarts,
%% transient only after an abnormal exit, temporary never.
-module(restart_types).
-export([main/0]).
spec(Id, Restart) -> #{id => Id, start => {conf, worker, [Id, plain]}, restart => Restart}.
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_one, intensity => 20, period => 5},
                   [spec(p1, permanent), spec(p2, permanent), spec(p3, permanent),
                    spec(t1, transient), spec(t2, transient), spec(t3, transient),
                    spec(x1, temporary), spec(x2, temporary), spec(x3, temporary)]),
    Ref = conf:watch(Sup),
    [conf:stop(Id, R) || {Id, R} <- [{p1, normal}, {p2, shutdown}, {p3, boom},
                                     {t1, normal}, {t2, shutdown}, {t3, boom},
                                     {x1, normal}, {x2, shutdown}, {x3, boom}]],
    conf:line("children ~w", [[Id || {Id, P, _, _} <- supervisor:which_children(Sup), is_pid(P)]]),
    conf:line("specs ~w", [length(supervisor:which_children(Sup))]),
    conf:finish(Ref).
