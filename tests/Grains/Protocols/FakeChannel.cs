using SimCluster.Transport;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>An open connection as a protocol sees it, with no socket behind it: records every frame sent.</summary>
internal sealed class FakeChannel : ITextChannel
{
    private readonly List<string> _sent = [];

    /// <summary>False: the connection is going away and takes no more frames.</summary>
    public bool Open { get; set; } = true;

    public bool Send(string text)
    {
        if (!Open) return false;
        lock (_sent) _sent.Add(text);
        return true;
    }

    /// <summary>Every frame sent so far, taken out.</summary>
    public List<string> Take()
    {
        lock (_sent)
        {
            var taken = _sent.ToList();
            _sent.Clear();
            return taken;
        }
    }
}
