using System.Net;
using System.Net.Sockets;

namespace SimCluster.Tests.Support;

/// <summary>A connected pair of real TCP sockets on 127.0.0.1 (the server side accepted from a listener on port 0).</summary>
internal sealed class SocketPair : IDisposable
{
    private SocketPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public Socket Server { get; }

    public static async Task<SocketPair> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await accept.WaitAsync(TimeSpan.FromSeconds(10));
        server.NoDelay = true;
        return new SocketPair(client, server);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes from the server side (fails on early end or timeout).</summary>
    public async Task<byte[]> ServerReceiveExactlyAsync(int count, TimeSpan? within = null)
    {
        var buffer = new byte[count];
        var filled = 0;
        using var cts = new CancellationTokenSource(within ?? Eventually.Patience);
        while (filled < count)
        {
            var n = await Server.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cts.Token);
            if (n == 0) Assert.Fail($"the client side closed after {filled} of {count} bytes");
            filled += n;
        }
        return buffer;
    }

    public static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, TimeSpan? within = null)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(within ?? Eventually.Patience);
        await stream.ReadExactlyAsync(buffer, cts.Token);
        return buffer;
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
