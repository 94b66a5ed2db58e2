%% gen_server calls: a reply, a call that times out, a call to a server that stopped, and a
%% call to a server that dies while it handles the call; each caller exit reason as
%% gen_server gives it.
-module(server_calls).
-behaviour(gen_server).
-export([main/0, init/1, handle_call/3, handle_cast/2]).
init(N) -> {ok, N}.
handle_call(get, _From, N) -> {reply, N, N};
handle_call(never, _From, N) -> {noreply, N};
handle_call(stop, _From, N) -> {stop, normal, bye, N};
handle_call(crash, _From, _N) -> exit(crashed).
handle_cast(_, N) -> {noreply, N}.
try_call(Label, Req, Timeout) ->
    try gen_server:call(srv, Req, Timeout) of
        Reply -> conf:line("~s reply ~w", [Label, Reply])
    catch exit:Reason -> conf:line("~s exit ~w", [Label, Reason])
    end.
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    {ok, _} = gen_server:start_link({local, srv}, server_calls, 42, []),
    try_call(get, get, 5000),
    try_call(never, never, 200),
    Mon = erlang:monitor(process, whereis(srv)),
    try_call(stop, stop, 5000),
    receive {'DOWN', Mon, process, _, _} -> ok end, % its name is gone by then
    try_call(after_stop, get, 5000),
    {ok, _} = gen_server:start_link({local, srv}, server_calls, 7, []),
    try_call(crash, crash, 5000),
    conf:finish(make_ref()).
