%% A gen_server upgraded as a release upgrade does it: while version 1 serves, version 2 is
%% loaded; sys:suspend holds the server (a cast sent meanwhile waits in its mailbox);
%% sys:change_code runs version 2's code_change on the state; sys:resume lets the queued cast
%% and the next call run version 2 on the new state. Then code_changes that fail: one that
%% exits, one that returns something other than {ok, State}, and one asked of a server that is
%% not suspended; each is an {error, Reason} for the caller and leaves the state as it was. The
%% server's next call runs the current version (a fully-qualified callback) on that state.
-module(server_upgrade).
-export([main/0]).

%% Version V of module kv. Its state: {count, N} in version 1, {total, N} from version 2 on.
src(1) ->
    "-module(kv). -behaviour(gen_server).
     -export([init/1, handle_call/3, handle_cast/2, code_change/3]).
     init(N) -> {ok, {count, N}}.
     handle_call(get, _From, S) -> {reply, {v1, S}, S}.
     handle_cast({add, K}, {count, N}) -> {noreply, {count, N + K}}.
     code_change(_Old, S, _Extra) -> {ok, S}. ";
src(V) ->
    Change = case V of
                 2 -> "code_change(1, {count, N}, Extra) -> {ok, {total, N + Extra}}. ";
                 3 -> "code_change(_Old, _S, _Extra) -> exit(cannot_convert). ";
                 4 -> "code_change(_Old, _S, _Extra) -> nothing. "
             end,
    "-module(kv). -behaviour(gen_server).
     -export([init/1, handle_call/3, handle_cast/2, code_change/3]).
     init(N) -> {ok, {total, N}}.
     handle_call(get, _From, S) -> {reply, {v" ++ integer_to_list(V) ++ ", S}, S}.
     handle_cast({add, K}, {total, N}) -> {noreply, {total, N + K}}. " ++ Change.

load(V) ->
    V > 1 andalso code:purge(kv),
    {module, kv} = conf:load(src(V)),
    conf:line("load v~w", [V]).

call_get() -> conf:line("get ~w", [gen_server:call(kv, get)]).

main() ->
    conf:logger(),
    load(1),
    {ok, _} = gen_server:start_link({local, kv}, kv, 40, []),
    call_get(),
    load(2),
    conf:line("suspend ~w", [sys:suspend(kv)]),
    gen_server:cast(kv, {add, 1}),
    conf:line("change_code ~w", [sys:change_code(kv, kv, 1, 2)]),
    conf:line("state ~w", [sys:get_state(kv)]),
    conf:line("resume ~w", [sys:resume(kv)]),
    call_get(),
    load(3),
    sys:suspend(kv),
    conf:line("change_code ~w", [sys:change_code(kv, kv, 2, x)]),
    load(4),
    conf:line("change_code ~w", [sys:change_code(kv, kv, 2, x)]),
    sys:resume(kv),
    conf:line("change_code ~w", [sys:change_code(kv, kv, 2, x)]),
    conf:line("state ~w", [sys:get_state(kv)]),
    call_get(),
    conf:finish(make_ref()).
