-- The synthetic-data banner in PDF (Typst) output.
--
-- ij_eval's chapter Markdown opens every chapter (and the brief) with a `::: {.synthetic-banner}`
-- div when the results store was built from synthetic data. HTML styles that div with styles.css;
-- Typst drops a div's classes, so this filter turns the div into a call of `synthetic-banner`,
-- defined in synthetic-banner.typ (included in the Typst header), which also marks every page.
-- Other formats keep the div as it is.

function Div(el)
  if not el.classes:includes("synthetic-banner") or not FORMAT:match("typst") then
    return nil
  end
  local blocks = pandoc.List({ pandoc.RawBlock("typst", "#synthetic-banner[") })
  blocks:extend(el.content)
  blocks:insert(pandoc.RawBlock("typst", "]"))
  return blocks
end
