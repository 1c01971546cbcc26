using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>Where a client's connections come from: real sockets in a silo, fakes in unit tests.</summary>
public interface IConnectionFactory
{
    /// <summary>
    /// Opens a connection off the caller's thread, or fails (<see cref="ConnectFailedException"/>, or the token's
    /// <c>TokenUnavailableException</c>). The options come as a function so the token is minted off the client's turn too.
    /// </summary>
    Task<SimulatedConnection> OpenAsync(Func<Task<ConnectOptions>> options, IConnectionListener listener);
}

/// <summary>Real WebSocket connections (<see cref="SimulatedConnection.OpenAsync"/>), opened on the thread pool.</summary>
public sealed class SocketConnections : IConnectionFactory
{
    public static readonly SocketConnections Instance = new();

    public Task<SimulatedConnection> OpenAsync(Func<Task<ConnectOptions>> options, IConnectionListener listener) =>
        Task.Run(async () => await SimulatedConnection.OpenAsync(await options().ConfigureAwait(false), listener).ConfigureAwait(false));
}

/// <summary>
/// The client's turn: the one thread of control that may touch a client's state. A grain posts onto its
/// activation's scheduler; a unit test runs the posted actions itself, in order.
/// </summary>
public interface IClientTurns
{
    /// <summary>Runs <paramref name="action"/> as a later turn of the client. Callable from any thread.</summary>
    void Post(Action action);
}
