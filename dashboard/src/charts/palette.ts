/** Calm colours that stay apart for the common kinds of colour blindness; every chart also has a data table. */
export const PALETTE = ['#3b6ea8', '#d08c2b', '#4f9a6b', '#b5495b', '#7b61a8', '#4aa3b5', '#8c7a5b', '#9a9a9a'];

export const AXIS_TEXT = '#3a3f45';
export const GRID_LINE = '#e3e6ea';
