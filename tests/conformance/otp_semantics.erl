%% gen_server and process semantics that crashlab once departed from (issue 13): a supervised
%% server that traps exits runs terminate(shutdown) when its supervisor (shutdown infinity)
%% stops; an error in a callback runs terminate({Error, Stack}); catch exit(boom); a reply
%% after the call's timeout never reaches the caller; monitors of names, demonitor's info,
%% calls to {Name, Node}, and the return values of register, unregister and cast. Every step
%% waits for the previous one's acknowledgement (an EXIT, a DOWN, a reply), never for time.
%% Where Erlang's shapes hold a stack trace or a node name, the case logs the part that is
%% the same (the error, the name).
-module(otp_semantics).
-behaviour(gen_server).
-export([main/0, init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2, child/1]).

init({trap, Tag}) -> process_flag(trap_exit, true), {ok, Tag};
init(Tag) -> {ok, Tag}.
handle_call(wait, From, _) -> {noreply, From};
handle_call(get, _From, S) -> {reply, S, S}.
handle_cast(crash, _) -> error(bad_cast);
handle_cast(answer, From) ->
    gen_server:reply(From, late),
    element(1, From) ! replied,
    {noreply, From};
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.
terminate(Reason, S) when is_atom(S) ->
    conf:line("terminate ~w ~w", [S, first(Reason)]);
terminate(_, _) -> ok.
first(R) when is_tuple(R) -> element(1, R);
first(R) -> R.
child(Tag) -> gen_server:start_link({local, Tag}, ?MODULE, {trap, Tag}, []).

main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    %% 1. The supervisor's shutdown reaches the servers' terminate, last started first.
    Sup = conf:sup(#{strategy => one_for_one},
                   [#{id => s1, start => {?MODULE, child, [s1]}, shutdown => infinity},
                    #{id => s2, start => {?MODULE, child, [s2]}}]),
    exit(Sup, shutdown),
    receive {'EXIT', Sup, R1} -> conf:line("sup exit ~w", [R1]) end,
    %% 2. An error in a callback: terminate({Error, Stack}); the server exits with it.
    {ok, S2} = gen_server:start(?MODULE, crasher, []),
    M2 = erlang:monitor(process, S2),
    ok = gen_server:cast(S2, crash),
    receive {'DOWN', M2, process, _, R2} -> conf:line("crasher down ~w", [first(R2)]) end,
    %% 3. exit/1 is caught.
    conf:line("catch ~w", [catch exit(boom)]),
    %% 4. A late reply is dropped.
    {ok, S4} = gen_server:start(?MODULE, late, []),
    R4 = (catch gen_server:call(S4, wait, 10)),
    conf:line("late call ~w", [first(element(2, R4))]),
    gen_server:cast(S4, answer),
    receive replied -> ok end,
    receive M -> conf:line("mailbox ~w", [M]) after 0 -> conf:line("mailbox empty") end,
    %% 5. Names.
    W = spawn(fun() -> receive _ -> ok end end),
    Reg = register(w5, W),
    M5 = erlang:monitor(process, w5),
    exit(W, bye),
    receive {'DOWN', M5, process, {N5, _}, R5} -> conf:line("down ~w ~w", [N5, R5]) end,
    M6 = erlang:monitor(process, nobody),
    receive {'DOWN', M6, process, {N6, _}, R6} -> conf:line("down ~w ~w", [N6, R6]) end,
    Q = spawn(fun() -> receive _ -> ok end end),
    M7 = erlang:monitor(process, Q),
    I1 = erlang:demonitor(M7, [info]),
    I2 = erlang:demonitor(M7, [info]),
    conf:line("demonitor info ~w then ~w", [I1, I2]),
    Q ! stop,
    {ok, _} = gen_server:start({local, srv5}, ?MODULE, five, []),
    conf:line("call remote ~w", [gen_server:call({srv5, node()}, get)]),
    Cast = gen_server:cast({srv5, node()}, hello),
    R8 = (catch gen_server:call({nobody, node()}, get, 1000)),
    conf:line("call nobody ~w", [first(element(2, R8))]),
    register(me, self()),
    Un = unregister(me),
    conf:line("register ~w unregister ~w cast ~w", [Reg, Un, Cast]),
    conf:finish(make_ref()).
