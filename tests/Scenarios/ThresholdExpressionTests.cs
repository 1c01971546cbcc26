using SimCluster.Scenarios;

namespace SimCluster.Tests.Scenarios;

[Trait("Category", "Unit")]
public class ThresholdExpressionTests
{
    [Theory]
    [InlineData("p(95)<500", Aggregation.Percentile, 95.0, ComparisonOperator.Less, 500.0, "p(95)<500")]
    [InlineData("p(99.9)<=1000", Aggregation.Percentile, 99.9, ComparisonOperator.LessOrEqual, 1000.0, "p(99.9)<=1000")]
    [InlineData("p(100)>0", Aggregation.Percentile, 100.0, ComparisonOperator.Greater, 0.0, "p(100)>0")]
    [InlineData("  p ( 50 )  >=  -1.5 ", Aggregation.Percentile, 50.0, ComparisonOperator.GreaterOrEqual, -1.5, "p(50)>=-1.5")]
    [InlineData("count==0", Aggregation.Count, null, ComparisonOperator.Equal, 0.0, "count==0")]
    [InlineData("rate < 0.5", Aggregation.Rate, null, ComparisonOperator.Less, 0.5, "rate<0.5")]
    [InlineData("value>=0.99", Aggregation.Value, null, ComparisonOperator.GreaterOrEqual, 0.99, "value>=0.99")]
    [InlineData("avg<12.25", Aggregation.Avg, null, ComparisonOperator.Less, 12.25, "avg<12.25")]
    [InlineData("min>1", Aggregation.Min, null, ComparisonOperator.Greater, 1.0, "min>1")]
    [InlineData("max<=60000", Aggregation.Max, null, ComparisonOperator.LessOrEqual, 60000.0, "max<=60000")]
    [InlineData("med<3", Aggregation.Med, null, ComparisonOperator.Less, 3.0, "med<3")]
    public void Valid_expressions_parse_to_their_parts(string text, Aggregation agg, double? pct, ComparisonOperator op, double limit, string canonical)
    {
        Assert.True(ThresholdExpression.TryParse(text, out var expr, out var error, out var column), error);
        Assert.Null(error);
        Assert.Equal(0, column);
        Assert.Equal(new ThresholdExpression(agg, pct, op, limit), expr);
        Assert.Equal(canonical, expr!.ToString());
        Assert.Equal(expr, ThresholdExpression.Parse(canonical));   // the canonical form reads back
    }

    [Theory]
    [InlineData("", 1, "expected an aggregation: count, rate, value, avg, min, max, med or p(N)")]
    [InlineData("   ", 4, "expected an aggregation: count, rate, value, avg, min, max, med or p(N)")]
    [InlineData("<500", 1, "expected an aggregation: count, rate, value, avg, min, max, med or p(N)")]
    [InlineData("p95<500", 1, "unknown aggregation 'p95' - did you mean p(95)?; expected an aggregation: count, rate, value, avg, min, max, med or p(N)")]
    [InlineData("sum>1", 1, "unknown aggregation 'sum'; expected an aggregation: count, rate, value, avg, min, max, med or p(N)")]
    [InlineData("p[95]<1", 2, "expected '(' after p, as in p(95)")]
    [InlineData("p()<1", 3, "expected a percentile from 0 to 100, as in p(95) or p(99.9)")]
    [InlineData("p(0)<1", 3, "the percentile must be above 0 and at most 100, got 0")]
    [InlineData("p(101)<1", 3, "the percentile must be above 0 and at most 100, got 101")]
    [InlineData("p(95<1", 5, "expected ')' to close p(")]
    [InlineData("count", 6, "expected an operator: <, <=, >, >= or == after the aggregation")]
    [InlineData("count != 0", 7, "expected an operator: <, <=, >, >= or ==, got '!'")]
    [InlineData("count=0", 6, "'=' alone is not an operator; use == to compare")]
    [InlineData("count==", 8, "expected a number after the operator, like 500 or 0.95")]
    [InlineData("count==abc", 8, "expected a number after the operator, like 500 or 0.95")]
    [InlineData("avg<1.", 5, "expected a number after the operator, like 500 or 0.95")]
    [InlineData("avg<1 ms", 7, "unexpected 'ms' after the number")]
    [InlineData("avg<1<2", 6, "unexpected '<2' after the number")]
    public void Invalid_expressions_say_what_was_expected_where(string text, int column, string message)
    {
        Assert.False(ThresholdExpression.TryParse(text, out var expr, out var error, out var errorColumn));
        Assert.Null(expr);
        Assert.Equal(message, error);
        Assert.Equal(column, errorColumn);
        Assert.Throws<FormatException>(() => ThresholdExpression.Parse(text));
    }

    [Theory]
    [InlineData("p(95)<500", 499.9, true)]
    [InlineData("p(95)<500", 500, false)]
    [InlineData("p(95)<=500", 500, true)]
    [InlineData("rate>0.5", 0.5, false)]
    [InlineData("rate>=0.5", 0.5, true)]
    [InlineData("count==0", 0, true)]
    [InlineData("count==0", 1, false)]
    [InlineData("min>-1", -0.5, true)]
    [InlineData("avg<1", double.NaN, false)]
    public void Satisfaction_follows_the_operator(string text, double actual, bool satisfied) =>
        Assert.Equal(satisfied, ThresholdExpression.Parse(text).IsSatisfiedBy(actual));
}
