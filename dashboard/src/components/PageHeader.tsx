import { useEffect, useRef, type ReactNode } from 'react';

interface Props {
  title: string;
  /** Controls that apply to the whole page (a period, a refresh button). */
  children?: ReactNode;
}

/** The page's h1, focused when the page opens so a screen reader announces where the link led. */
export function PageHeader({ title, children }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="page-header">
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children ? <div className="page-controls">{children}</div> : null}
    </div>
  );
}
