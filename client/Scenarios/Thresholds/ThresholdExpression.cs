using System.Globalization;

namespace SimCluster.Scenarios;

public enum Aggregation { Count, Rate, Value, Percentile, Avg, Min, Max, Med }

public enum ComparisonOperator { Less, LessOrEqual, Greater, GreaterOrEqual, Equal }

/// <summary>
/// A k6-style threshold expression: <c>AGG OP NUMBER</c>, for example <c>p(95)&lt;500</c>,
/// <c>count==0</c>, <c>rate &lt;= 0.5</c>. AGG is count, rate, value, avg, min, max, med or p(N)
/// with 0 &lt; N &lt;= 100; OP is &lt;, &lt;=, &gt;, &gt;= or ==; spaces between the parts are allowed.
/// <see cref="Percentile"/> is N itself (95 for p(95)) and is set only for <see cref="Aggregation.Percentile"/>.
/// </summary>
public sealed record ThresholdExpression(Aggregation Aggregation, double? Percentile, ComparisonOperator Operator, double Limit)
{
    private const string AggregationForm = "an aggregation: count, rate, value, avg, min, max, med or p(N)";
    private const string OperatorForm = "an operator: <, <=, >, >= or ==";

    private static readonly (string Name, Aggregation Value)[] Names =
    [
        ("count", Aggregation.Count), ("rate", Aggregation.Rate), ("value", Aggregation.Value), ("avg", Aggregation.Avg),
        ("min", Aggregation.Min), ("max", Aggregation.Max), ("med", Aggregation.Med),
    ];

    /// <summary>
    /// Parses <paramref name="text"/>; on failure <paramref name="error"/> says what was expected and
    /// <paramref name="errorColumn"/> where (1-based, within <paramref name="text"/>).
    /// </summary>
    public static bool TryParse(string text, out ThresholdExpression? expr, out string? error, out int errorColumn)
    {
        ArgumentNullException.ThrowIfNull(text);
        var p = new Cursor(text);
        expr = null;

        // AGG
        p.SkipSpaces();
        var aggStart = p.Pos;
        var word = p.TakeWhile(char.IsAsciiLetterOrDigit);
        Aggregation aggregation;
        double? percentile = null;
        if (word == "p")
        {
            aggregation = Aggregation.Percentile;
            p.SkipSpaces();
            if (!p.Take('('))
                return Fail(p.Pos, "expected '(' after p, as in p(95)", out error, out errorColumn);
            p.SkipSpaces();
            var numberStart = p.Pos;
            if (p.TakeNumber(allowSign: false) is not { } n)
                return Fail(numberStart, "expected a percentile from 0 to 100, as in p(95) or p(99.9)", out error, out errorColumn);
            if (n is <= 0 or > 100)
                return Fail(numberStart, $"the percentile must be above 0 and at most 100, got {Format(n)}", out error, out errorColumn);
            p.SkipSpaces();
            if (!p.Take(')'))
                return Fail(p.Pos, "expected ')' to close p(", out error, out errorColumn);
            percentile = n;
        }
        else
        {
            var match = Array.FindIndex(Names, x => x.Name == word);
            if (match < 0)
            {
                if (word.Length == 0)
                    return Fail(aggStart, $"expected {AggregationForm}", out error, out errorColumn);
                // "p95" is a common slip for "p(95)".
                var hint = word.Length > 1 && word[0] == 'p' && double.TryParse(word[1..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _)
                    ? $" - did you mean p({word[1..]})?"
                    : "";
                return Fail(aggStart, $"unknown aggregation {Excerpt.Quote(word)}{hint}; expected {AggregationForm}", out error, out errorColumn);
            }
            aggregation = Names[match].Value;
        }

        // OP
        p.SkipSpaces();
        var opStart = p.Pos;
        ComparisonOperator op;
        if (p.Take("<=")) op = ComparisonOperator.LessOrEqual;
        else if (p.Take(">=")) op = ComparisonOperator.GreaterOrEqual;
        else if (p.Take("==")) op = ComparisonOperator.Equal;
        else if (p.Take("<")) op = ComparisonOperator.Less;
        else if (p.Take(">")) op = ComparisonOperator.Greater;
        else if (p.Peek == '=')
            return Fail(opStart, "'=' alone is not an operator; use == to compare", out error, out errorColumn);
        else
            return Fail(opStart, p.AtEnd ? $"expected {OperatorForm} after the aggregation" : $"expected {OperatorForm}, got '{p.Peek}'", out error, out errorColumn);

        // NUMBER or NUMBER*NAME: a limit relative to the run's own plan (clients) or to a counter of the run.
        p.SkipSpaces();
        var limitStart = p.Pos;
        string? relative = null;
        var relativeColumn = 0;
        if (p.TakeNumber(allowSign: true) is not { } limit)
            return Fail(limitStart, "expected a number after the operator, like 500 or 0.95", out error, out errorColumn);
        p.SkipSpaces();
        if (!p.Take('*')) goto end;
        p.SkipSpaces();
        relativeColumn = p.Pos + 1;
        relative = p.TakeWhile(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');
        if (relative.Length == 0)
            return Fail(p.Pos, "expected a plan quantity after '*', like 20*clients or 0.99*messages_planned", out error, out errorColumn);
        end:
        p.SkipSpaces();
        if (!p.AtEnd)
            return Fail(p.Pos, $"unexpected {Excerpt.Quote(text[p.Pos..])} after the {(relative is null ? "number" : "limit")}", out error, out errorColumn);

        expr = new ThresholdExpression(aggregation, percentile, op, limit) { Relative = relative, RelativeColumn = relativeColumn };
        error = null;
        errorColumn = 0;
        return true;
    }

    /// <summary>Like <see cref="TryParse"/>, throwing <see cref="FormatException"/> on an invalid expression.</summary>
    public static ThresholdExpression Parse(string text) =>
        TryParse(text, out var expr, out var error, out var column) ? expr! : throw new FormatException($"column {column}: {error}");

    /// <summary>
    /// The limit is <see cref="Limit"/> times this quantity of the run: <c>clients</c> (the clients planned in the
    /// threshold's scope) or a counter metric's count in that scope (<c>0.99*messages_planned</c>). Null: the limit is absolute.
    /// </summary>
    public string? Relative { get; init; }

    /// <summary>Where <see cref="Relative"/> starts in the expression text (1-based), for messages about it.</summary>
    public int RelativeColumn { get; init; }

    /// <summary>The plan quantity every relative limit may name besides counters.</summary>
    public const string Clients = "clients";

    /// <summary>Against a resolved limit (a relative one times its quantity).</summary>
    public bool IsSatisfiedBy(double actual, double limit) => (this with { Limit = limit, Relative = null }).IsSatisfiedBy(actual);

    public bool IsSatisfiedBy(double actual)
    {
        if (double.IsNaN(actual))
            return false;
        return Operator switch
        {
            ComparisonOperator.Less => actual < Limit,
            ComparisonOperator.LessOrEqual => actual <= Limit,
            ComparisonOperator.Greater => actual > Limit,
            ComparisonOperator.GreaterOrEqual => actual >= Limit,
            // Exact, as k6 does: == is meant for counts (count==0), which are whole numbers.
            _ => actual == Limit,
        };
    }

    /// <summary>Canonical text without spaces: <c>p(95)&lt;500</c>, <c>count==0</c>.</summary>
    public override string ToString()
    {
        var agg = Aggregation == Aggregation.Percentile
            ? $"p({Format(Percentile ?? 0)})"
            : Names.First(x => x.Value == Aggregation).Name;
        var op = Operator switch
        {
            ComparisonOperator.Less => "<",
            ComparisonOperator.LessOrEqual => "<=",
            ComparisonOperator.Greater => ">",
            ComparisonOperator.GreaterOrEqual => ">=",
            _ => "==",
        };
        return agg + op + (Relative is null ? Format(Limit) : $"{Format(Limit)}*{Relative}");
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static bool Fail(int pos, string message, out string? error, out int errorColumn)
    {
        error = message;
        errorColumn = pos + 1;
        return false;
    }

    /// <summary>A read position in the expression text.</summary>
    private sealed class Cursor(string text)
    {
        public int Pos { get; private set; }
        public bool AtEnd => Pos >= text.Length;
        public char Peek => AtEnd ? '\0' : text[Pos];

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(text[Pos])) Pos++;
        }

        public string TakeWhile(Func<char, bool> accept)
        {
            var start = Pos;
            while (!AtEnd && accept(text[Pos])) Pos++;
            return text[start..Pos];
        }

        public bool Take(char c)
        {
            if (Peek != c) return false;
            Pos++;
            return true;
        }

        public bool Take(string s)
        {
            if (string.CompareOrdinal(text, Pos, s, 0, s.Length) != 0) return false;
            Pos += s.Length;
            return true;
        }

        /// <summary>[-]digits[.digits]; leaves the position unchanged when there is no number here.</summary>
        public double? TakeNumber(bool allowSign)
        {
            var start = Pos;
            if (allowSign) Take('-');
            var intPart = TakeWhile(char.IsAsciiDigit);
            if (intPart.Length > 0 && Take('.') && TakeWhile(char.IsAsciiDigit).Length == 0)
            {
                Pos = start;
                return null;
            }
            if (intPart.Length == 0)
            {
                Pos = start;
                return null;
            }
            if (!Numbers.TryParseDecimal(text.AsSpan(start, Pos - start), allowSign, out var value))
            {
                Pos = start;
                return null;
            }
            return (double)value;
        }
    }
}
