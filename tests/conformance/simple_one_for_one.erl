%% simple_one_for_one: children made from one template by start_child, with the call's
%% arguments appended; a killed one is restarted with the same arguments.
-module(simple_one_for_one).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => simple_one_for_one, intensity => 3, period => 5},
                   [#{id => tpl, start => {conf, worker, []}}]),
    Ref = conf:watch(Sup),
    {ok, _} = supervisor:start_child(Sup, [w1, plain]),
    {ok, _} = supervisor:start_child(Sup, [w2, plain]),
    conf:line("count ~w", [supervisor:count_children(Sup)]),
    conf:kill(w1, boom),
    conf:line("count ~w", [supervisor:count_children(Sup)]),
    W2 = whereis(w2),
    ok = supervisor:terminate_child(Sup, W2),
    conf:downed(W2),
    conf:line("count ~w", [supervisor:count_children(Sup)]),
    conf:finish(Ref).
