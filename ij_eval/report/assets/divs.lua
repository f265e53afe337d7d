-- ij-eval: the fenced divs of the chapter Markdown, for pandoc's HTML and Typst writers.
--
--   ::: {.callout-note}      (also -tip, -warning, -caution, -important; Quarto's syntax)
--   ::: {.synthetic-banner}
--
-- A callout's title is its `title` attribute, else a heading opening the callout, else its kind.

local TITLES = {
  note = "Note", tip = "Tip", warning = "Warning", caution = "Caution", important = "Important",
}

local function callout_kind(div)
  for _, cls in ipairs(div.classes) do
    local kind = cls:match("^callout%-(%a+)$")
    if kind then
      return kind
    end
  end
  return nil
end

local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function wrap_typst(open, blocks)
  local out = pandoc.List({ pandoc.RawBlock("typst", open) })
  out:extend(blocks)
  out:insert(pandoc.RawBlock("typst", "]"))
  return out
end

function Div(div)
  local kind = callout_kind(div)
  if kind then
    local blocks = div.content
    local title = div.attributes.title
    if (title == nil or title == "") and #blocks > 0 and blocks[1].t == "Header" then
      title = pandoc.utils.stringify(blocks[1].content)
      blocks = blocks:clone()
      blocks:remove(1)
    end
    if title == nil or title == "" then
      title = TITLES[kind] or (kind:sub(1, 1):upper() .. kind:sub(2))
    end
    if FORMAT:match("typst") then
      return wrap_typst("#ij-callout(" .. typst_string(kind) .. ", " .. typst_string(title) .. ")[", blocks)
    end
    local content = pandoc.List({ pandoc.Div(pandoc.Plain(pandoc.Str(title)), { class = "callout-title" }) })
    content:extend(blocks)
    local classes = pandoc.List({ "callout" })
    classes:extend(div.classes)
    return pandoc.Div(content, pandoc.Attr(div.identifier, classes, { { "role", "note" } }))
  end
  if div.classes:includes("synthetic-banner") then
    if FORMAT:match("typst") then
      return wrap_typst("#ij-banner[", div.content)
    end
    div.attributes.role = "note"
    return div
  end
  return nil
end

-- Column widths for Typst. Typst's automatic column widths squeeze a long text column when other
-- columns hold long words or code. A table too wide for the line therefore gets relative widths:
-- each column wants about one and a half times its average cell, but never less than its longest
-- word (a column of short cells: its longest cell, so numbers never wrap) nor more than its longest cell. HTML keeps the browser's automatic layout.
local LINE_CHARS = 105  -- characters of table text across the page (A4 text width at 9pt)
local PAD = 2

local function text_len(s)
  return utf8.len(s) or #s
end

local SHORT = 16  -- a column of cells this short (numbers, "< 0.001", "hazard ratio") is not wrapped

local function column_widths(tbl)
  local n = #tbl.colspecs
  local natural, word, total, filled, head = {}, {}, {}, {}, {}
  for c = 1, n do
    natural[c], word[c], total[c], filled[c], head[c] = 1, 1, 0, 0, 0
  end
  local function visit(row, is_head)
    for c, cell in ipairs(row.cells) do
      if c <= n then
        local text = pandoc.utils.stringify(cell.contents)
        for w in text:gmatch("[^%s_%./;|,=]+[_%./;|,=]?") do  -- Typst may break code after _ . / ; | , =
          word[c] = math.max(word[c], text_len(w))
        end
        if is_head then
          head[c] = math.max(head[c], text_len(text))
        else
          local len = text_len(text)
          natural[c] = math.max(natural[c], len)
          if len > 0 then
            total[c], filled[c] = total[c] + len, filled[c] + 1
          end
        end
      end
    end
  end
  for _, row in ipairs(tbl.head.rows) do visit(row, true) end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do visit(row, false) end
  end
  local sum = 0
  for c = 1, n do sum = sum + math.max(natural[c], word[c]) + PAD end
  if sum <= LINE_CHARS then
    return nil
  end
  -- wanted widths, scaled to the line; a column scaled below its longest word is held at that word
  local want, lower = {}, {}
  for c = 1, n do
    local mean = filled[c] > 0 and total[c] / filled[c] or 0
    if natural[c] <= SHORT then  -- numbers and short labels stay on one line, and so does a short header
      lower[c] = math.max(natural[c], word[c], head[c] <= SHORT and head[c] or 0) + PAD
    else
      lower[c] = word[c] + PAD
    end
    want[c] = math.min(math.max(1.5 * mean + PAD, lower[c]), math.max(natural[c], word[c]) + PAD)
  end
  local width, held = {}, {}
  local changed = true
  while changed do
    changed = false
    local room, wanted = LINE_CHARS, 0
    for c = 1, n do
      if held[c] then room = room - lower[c] else wanted = wanted + want[c] end
    end
    for c = 1, n do
      if not held[c] then
        width[c] = want[c] * math.max(room, 0) / wanted
        if width[c] < lower[c] then
          held[c], width[c], changed = true, lower[c], true
          break
        end
      end
    end
  end
  local all = 0
  for c = 1, n do all = all + width[c] end
  return width, all
end

-- HTML: a cell's alignment is a class (align-left, -right, -center), not pandoc's style attribute,
-- so the page needs no inline style under its Content-Security-Policy; column widths are left to the
-- browser.
local ALIGN = { AlignLeft = "left", AlignRight = "right", AlignCenter = "center" }

local function aligned_rows(rows, columns)
  local out = pandoc.List()
  for _, row in ipairs(rows) do
    local cells, c = pandoc.List(), 1
    for _, cell in ipairs(row.cells) do
      local align = ALIGN[tostring(cell.alignment)] or columns[c]
      cell.alignment = pandoc.AlignDefault
      if align then
        local attr = cell.attr
        attr.classes:insert("align-" .. align)
        cell.attr = attr
      end
      cells:insert(cell)
      c = c + (cell.col_span or 1)
    end
    row.cells = cells
    out:insert(row)
  end
  return out
end

local function align_by_class(tbl)
  local columns, specs = {}, pandoc.List()
  for c, spec in ipairs(tbl.colspecs) do
    columns[c] = ALIGN[tostring(spec[1])]
    specs:insert({ pandoc.AlignDefault, pandoc.ColWidthDefault })
  end
  tbl.colspecs = specs
  local head = tbl.head
  head.rows = aligned_rows(head.rows, columns)
  tbl.head = head
  local bodies = pandoc.List()
  for _, body in ipairs(tbl.bodies) do
    body.head = aligned_rows(body.head, columns)
    body.body = aligned_rows(body.body, columns)
    bodies:insert(body)
  end
  tbl.bodies = bodies
  local foot = tbl.foot
  foot.rows = aligned_rows(foot.rows, columns)
  tbl.foot = foot
  return tbl
end

-- HTML: every table sits in a scrollable, keyboard-focusable region, so a wide table scrolls
-- instead of overflowing the column.
local function html_table(tbl)
  tbl = align_by_class(tbl)
  local label = pandoc.utils.stringify(tbl.caption.long)
  if label == "" then
    label = "Table"
  end
  -- attributes as an ordered list: a Lua table with keys would come out in a different order each run
  local attributes = { { "role", "region" }, { "tabindex", "0" }, { "aria-label", label } }
  return pandoc.Div({ tbl }, pandoc.Attr("", { "table-wrap" }, attributes))
end

function Table(tbl)
  if not FORMAT:match("typst") then
    return html_table(tbl)
  end
  local width, all = column_widths(tbl)
  if not width then
    return nil
  end
  for c, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[c] = { spec[1], width[c] / all }
  end
  return tbl
end

-- A link to a relative file (e.g. `templates/referrals.csv` in the data dictionary) cannot work in a
-- self-contained report, which travels without the files around it: keep its text, drop the link.
-- So does a link to anything but a place in the page, a web page or an email address (javascript:,
-- data:, file: ...).
function Link(link)
  local target = link.target
  if target:sub(1, 1) == "#" or target:match("^[Hh][Tt][Tt][Pp][Ss]?://") or target:match("^[Mm][Aa][Ii][Ll][Tt][Oo]:") then
    return nil
  end
  return link.content
end

-- An image is one of the store's figures (figures/<name>), or it is dropped for its description:
-- an image of any other file would be read into the page (HTML embeds it) or the PDF.
function Image(image)
  if image.src:match("^figures/[%w_.-]+$") and not image.src:match("%.%.") then
    return nil
  end
  return image.caption
end

-- Typst: every piece of text is written escaped (a backslash before each ASCII punctuation mark),
-- so no text becomes Typst markup or code (# $ * _ ` < > @ [ ] = - + / ~ and // comments), nor a
-- dash, ellipsis or smart quote it did not have. Pandoc's own escaping misses some of these (a
-- "- " or "= " at the start of a list item or table cell). A hyphen before a digit is left as it
-- is: it is no markup, and Typst sets it as a minus sign (-0.05). Run last, after the filters above
-- have read the text (stringify ignores raw text).
local function typst_escape(text)
  return (text:gsub("()(%p)", function(at, mark)
    if mark == "-" and text:sub(at + 1, at + 1):match("%d") then
      return mark
    end
    return "\\" .. mark
  end))
end

local typst_text = {
  Str = function(str)
    if FORMAT:match("typst") then
      return pandoc.RawInline("typst", typst_escape(str.text))
    end
    return nil
  end,
}

return {
  { Div = Div, Table = Table, Link = Link, Image = Image },
  typst_text,
}
