%% A child whose init fails stops the supervisor's start: the children already started are
%% terminated and the start fails with {shutdown, {failed_to_start_child, Id, Reason}}.
-module(failed_start).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    R = supervisor:start_link(conf, {#{strategy => one_for_one, intensity => 3, period => 5},
                                     [#{id => w1, start => {conf, worker, [w1, plain]}},
                                      #{id => w2, start => {conf, worker, [w2, fail]}},
                                      #{id => w3, start => {conf, worker, [w3, plain]}}]}),
    {error, Reason} = R,
    conf:line("start failed ~w", [Reason]),
    conf:finish(make_ref()).
