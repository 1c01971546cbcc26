using System.Collections.Frozen;
using System.Text;

namespace SimCluster.Abstractions.Plans;

/// <summary>
/// The one naming convention between enum members and what users write and read: kebab case
/// (<c>BreakBeforeMake</c> is <c>break-before-make</c>, <c>InBand</c> is <c>in-band</c>). Scenario files,
/// the schema, report labels and metric labels all spell enum values through here.
/// </summary>
public static class Spelling
{
    /// <summary><c>WaitingToReconnect</c> → <c>waiting-to-reconnect</c>.</summary>
    public static string Kebab(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    /// <summary>The spelling of one value.</summary>
    public static string Spelled<T>(this T value) where T : struct, Enum =>
        Names<T>.ByValue.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a {typeof(T).Name} value");

    /// <summary>Every value with its spelling, in declaration order.</summary>
    public static IReadOnlyList<(string Name, T Value)> All<T>() where T : struct, Enum => Names<T>.InOrder;

    /// <summary>Every spelling, in declaration order.</summary>
    public static IReadOnlyList<string> NamesOf<T>() where T : struct, Enum => Names<T>.Spellings;

    public static bool TryParse<T>(string text, out T value) where T : struct, Enum =>
        Names<T>.ByName.TryGetValue(text, out value);

    /// <summary>The value spelt <paramref name="text"/>; an unknown spelling throws, naming it and the valid ones.</summary>
    public static T Parse<T>(string text) where T : struct, Enum =>
        TryParse<T>(text, out var value)
            ? value
            : throw new ArgumentException($"unknown {Kebab(typeof(T).Name)} '{text}' ({string.Join(", ", Names<T>.Spellings)})", nameof(text));

    private static class Names<T> where T : struct, Enum
    {
        public static readonly IReadOnlyList<(string Name, T Value)> InOrder =
            [.. Enum.GetValues<T>().Select(v => (Kebab(v.ToString()), v))];

        public static readonly IReadOnlyList<string> Spellings = [.. InOrder.Select(p => p.Name)];

        public static readonly FrozenDictionary<T, string> ByValue = InOrder.ToFrozenDictionary(p => p.Value, p => p.Name);

        public static readonly FrozenDictionary<string, T> ByName = InOrder.ToFrozenDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
    }
}
