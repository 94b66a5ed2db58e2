%% A registered name follows the restarted child: a message to the name after the restart
%% reaches the new process.
-module(registered_restart).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Sup = conf:sup(#{strategy => one_for_one, intensity => 3, period => 5},
                   [#{id => w1, start => {conf, worker, [w1, plain]}}]),
    Ref = conf:watch(Sup),
    Old = whereis(w1),
    conf:kill(w1, boom),
    conf:line("same pid: ~w", [whereis(w1) =:= Old]),
    w1 ! hello,
    conf:sync(w1),
    conf:finish(Ref).
