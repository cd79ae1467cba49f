/** A share legend ("Open weights 56.1%"): slice labels collide on thin slices, the legend never does. */
export function shareLegendFormatter(items: readonly { name: string; value: number }[]): (name: string) => string {
  const total = items.reduce((n, i) => n + i.value, 0);
  return (name) => {
    const value = items.find((i) => i.name === name)?.value ?? 0;
    return total > 0 ? `${name} ${((value / total) * 100).toFixed(1)}%` : name;
  };
}
