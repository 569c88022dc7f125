// A small drawing surface over cairo's PDF backend and pango: text boxes, lines, shaded bars
// and QR codes, on A4 pages, written to memory. Internal to transcript/.
//
// Ownership: the Canvas owns its cairo surface, context, one reused PangoLayout and its font
// descriptions (RAII through unique_ptr deleters). Not thread-safe; one per render.
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb::pdf {

// A4 in PostScript points.
constexpr double kPageWidth = 595.276;
constexpr double kPageHeight = 841.89;

enum class Align { kLeft, kRight, kCenter };

struct TextStyle {
  double size = 9;  // points
  bool bold = false;
  Align align = Align::kLeft;
  bool ellipsize = true;  // one line, cut with "…" at the box width; else wrap
  double gray = 0;        // 0 black .. 1 white
};

class Canvas {
 public:
  // `creation_date` (RFC 3339) is written as the PDF's CreationDate so that equal input gives
  // equal bytes; `title` is the document title.
  static StatusOr<std::unique_ptr<Canvas>> Create(std::string_view title,
                                                  std::string_view creation_date);
  ~Canvas();

  // Draws `text` in the box starting at (x, y) (top-left, points) of width `width`; returns
  // the height used.
  double Text(double x, double y, double width, std::string_view text, const TextStyle& style);
  void Line(double x0, double y0, double x1, double y1, double width = 0.5, double gray = 0);
  void FillRect(double x, double y, double w, double h, double gray);
  // A QR code of `data` (byte mode, error correction M) with its 4-module quiet zone, `size`
  // points square. kInvalidArgument if the data cannot be encoded.
  Status Qr(double x, double y, double size, std::string_view data);
  void NewPage();
  // Ends the document and returns its bytes; the Canvas is unusable afterwards.
  StatusOr<std::string> Finish();

 private:
  Canvas() = default;
  PangoFontDescription* Font(double size, bool bold);

  std::string out_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
  PangoLayout* layout_ = nullptr;
  PangoFontDescription* regular_ = nullptr;
  PangoFontDescription* bold_ = nullptr;
  bool finished_ = false;
};

}  // namespace lcb::pdf
